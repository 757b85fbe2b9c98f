"""Exact value counts of streamed Arrow columns: dictionary codes give the counts of the values.

The expected counts are taken independently, from the decoded Python values of the same
batches (``collections.Counter``), whatever the index type, nulls, and dictionary changes.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kl_drift._core.bins import count_numeric
from kl_drift._engines.arrow_values import ValueCounter, count_numeric_array, numeric_buffer


def _expected(batches: list[pa.Array]) -> tuple[dict[str, int], int]:
    values = [v for batch in batches for v in batch.to_pylist()]
    counted = Counter(v for v in values if v is not None)
    return dict(counted), sum(v is None for v in values)


def _counted(batches: list[pa.Array]) -> tuple[dict[str, int], int]:
    counter = ValueCounter()
    for batch in batches:
        counter.add(batch)
    counter.flush()
    return counter.values, counter.n_missing


INDEX_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32(), pa.uint64()]


@pytest.mark.parametrize("index_type", INDEX_TYPES, ids=str)
@pytest.mark.parametrize("with_nulls", [False, True])
def test_dictionary_codes_count_as_the_values(index_type: pa.DataType, with_nulls: bool) -> None:
    rng = np.random.default_rng(3)
    dictionary = pa.array([f"v{i}" for i in range(100)])
    batches = []
    for _ in range(4):
        codes = rng.integers(0, 100, 500)
        mask = rng.random(500) < 0.1 if with_nulls else None
        batches.append(pa.DictionaryArray.from_arrays(pa.array(codes, index_type, mask=mask), dictionary))
    counted = _counted(batches)
    assert counted == _expected(batches)
    assert (counted[1] > 0) == with_nulls


def test_a_new_dictionary_mid_stream_and_a_sliced_batch() -> None:
    first = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, 2], pa.int32()), pa.array(["a", "b", "c"]))
    # The same values under other codes, a value of its own, and an offset into the codes.
    second = pa.DictionaryArray.from_arrays(pa.array([2, 2, 0, 1, 3], pa.int32()), pa.array(["c", "b", "a", "d"]))
    batches = [first, second.slice(1), first.slice(2, 1)]
    assert _counted(batches) == _expected(batches) == ({"a": 2, "b": 4, "c": 2, "d": 1}, 0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=9)), max_size=60),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(INDEX_TYPES),
    st.booleans(),
)
def test_dictionary_counts_equal_the_decoded_values(codes: list[list[int | None]], index_type: pa.DataType, shared: bool) -> None:
    words = [f"w{i}" for i in range(10)]
    batches = []
    for i, chunk in enumerate(codes):
        # Shared: one dictionary for all batches (a row group); else each batch its own order.
        order = words if shared else words[i % 10 :] + words[: i % 10]
        batches.append(pa.DictionaryArray.from_arrays(pa.array(chunk, index_type), pa.array(order)))
    assert _counted(batches) == _expected(batches)


def _through_a_copy(array: pa.Array, edges: tuple[float, ...]) -> tuple[list[int], int]:
    counts, n_inf = count_numeric(numeric_buffer(array), edges)
    return counts.tolist(), int(n_inf)


def _in_place(array: pa.Array, edges: tuple[float, ...]) -> tuple[list[int], int]:
    counts, n_inf = count_numeric_array(array, edges)
    return counts.tolist(), int(n_inf)


def test_floats_with_nulls_count_in_their_buffer_as_through_a_copy() -> None:
    # NaN values and nulls are both missing; inf under a null slot must not count as inf.
    values = pa.array([1.0, np.nan, None, np.inf, -np.inf, 2.5, None, 0.5], pa.float64(), from_pandas=False)
    edges = (0.0, 1.0, 2.0)
    expected = ([1, 2, 0, 2, 3], 2)  # (-inf, 0]: -inf; (0, 1]: 0.5, 1; (1, 2]: none; (2, +inf): 2.5, inf; missing: 3
    assert _in_place(values, edges) == _through_a_copy(values, edges) == expected
    # A null slot whose buffer holds inf (as a cast or a writer may leave it).
    under = pa.Array.from_buffers(pa.float64(), 3, [pa.array([True, False, True]).buffers()[1],
                                                    pa.py_buffer(np.array([1.0, np.inf, 3.0]).tobytes())], null_count=1)  # fmt: skip
    assert _in_place(under, edges) == _through_a_copy(under, edges) == ([0, 1, 0, 1, 1], 0)
    for part in (values.slice(1), values.slice(2, 5), values.slice(7)):
        assert _in_place(part, edges) == _through_a_copy(part, edges)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), max_size=300),
    st.integers(min_value=0, max_value=40),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=0, max_size=12, unique=True),
)
def test_in_place_float_counts_equal_the_copy(values: list[float | None], skip: int, raw_edges: list[float]) -> None:
    array = pa.array(values, pa.float64(), from_pandas=False).slice(min(skip, len(values)))
    edges = tuple(sorted(raw_edges))
    assert _in_place(array, edges) == _through_a_copy(array, edges)
