"""Exact value counts of streamed Arrow columns: dictionary codes give the counts of the values.

The expected counts are taken independently, from the decoded Python values of the same
batches (``collections.Counter``), whatever the index type, nulls, and dictionary changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_helpers import on_each_counting_path

from kl_drift._core import kernels
from kl_drift._core.bins import count_numeric
from kl_drift._engines.arrow_values import NumericCounter, ValueCounter, count_numeric_array, numeric_buffer


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
@pytest.mark.parametrize("n_values", [3, 127])  # 3: four histograms in the kernel; 127: one (4 x 128 > 504 rows)
def test_dictionary_codes_count_as_the_values(
    counting_path: str, monkeypatch: pytest.MonkeyPatch, index_type: pa.DataType, with_nulls: bool, n_values: int
) -> None:
    rng = np.random.default_rng(3)
    dictionary = pa.array([f"v{i}" for i in range(n_values)])
    batches = []
    for i in range(4):
        codes = rng.integers(0, n_values, 501 + i)  # lengths not a multiple of 4
        mask = rng.random(501 + i) < 0.1 if with_nulls else None
        # Offsets not a multiple of 8: the validity bits start mid-byte.
        batches.append(pa.DictionaryArray.from_arrays(pa.array(codes, index_type, mask=mask), dictionary).slice(i * 3))
    calls: list[bool] = []
    real = kernels.count_codes
    monkeypatch.setattr(kernels, "count_codes", lambda *args: calls.append(real(*args)) or calls[-1])
    counted = _counted(batches)
    assert counted == _expected(batches)
    assert (counted[1] > 0) == with_nulls
    # The kernel counts every batch of signed codes (and declines unsigned ones) when in use.
    signed = index_type in (pa.int8(), pa.int16(), pa.int32(), pa.int64())
    assert calls == ([signed] * 4 if counting_path == "kernels" else [])


def test_a_new_dictionary_mid_stream_and_a_sliced_batch(counting_path: str) -> None:
    first = pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, 2], pa.int32()), pa.array(["a", "b", "c"]))
    # The same values under other codes, a value of its own, and an offset into the codes.
    second = pa.DictionaryArray.from_arrays(pa.array([2, 2, 0, 1, 3], pa.int32()), pa.array(["c", "b", "a", "d"]))
    batches = [first, second.slice(1), first.slice(2, 1), first.slice(4)]
    assert _counted(batches) == _expected(batches) == ({"a": 2, "b": 4, "c": 2, "d": 1}, 0)


@pytest.mark.parametrize("with_nulls", [False, True])
def test_a_code_outside_the_dictionary_fails_as_on_the_numpy_path(counting_path: str, with_nulls: bool) -> None:
    # Not a valid Arrow array (from_arrays would refuse it): the kernel declines it, and the
    # numpy path's bincount fails on it as before, whichever path counts.
    indices = pa.array([0, 1, 5, 1] * 10, pa.int32(), mask=np.arange(40) == 7 if with_nulls else None)
    array = pa.DictionaryArray.from_arrays(indices, pa.array(["a", "b"]), safe=False)
    counter = ValueCounter()
    with pytest.raises(ValueError):
        counter.add(array)
    assert not counter._per_code.any(), "nothing was added before the failure"


def test_codes_kernel_equals_bincount() -> None:
    if not kernels.available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kernels.FORCE_ENV, "1")
        assert kernels.prepare(0)
        for dtype in (np.int8, np.int16, np.int32, np.int64):
            for size, n in ((1, 0), (1, 7), (3, 4_099), (40, 100), (40, 161), (300, 5_000)):
                if size > np.iinfo(dtype).max:
                    continue
                codes = rng.integers(0, size, n).astype(dtype)
                valid = rng.random(n + 13) < 0.8
                bitmap = np.packbits(valid, bitorder="little")
                for start, bits in ((0, None), (0, bitmap), (13, bitmap)):
                    out = np.arange(size + 1, dtype=np.int64)  # counts are added to what is there
                    assert kernels.count_codes(codes, bits, start, out)
                    filled = codes.astype(np.int64)
                    if bits is not None:
                        filled[~valid[start : start + n]] = size
                    assert out.tolist() == (np.arange(size + 1) + np.bincount(filled, minlength=size + 1)).tolist()
        out = np.zeros(3, dtype=np.int64)
        assert not kernels.count_codes(np.array([0, 2], dtype=np.int32), None, 0, out), "code 2 of a 2-value dictionary"
        assert not kernels.count_codes(np.array([-1, 0], dtype=np.int8), None, 0, out)
        assert not kernels.count_codes(np.array([0, 1], dtype=np.uint32), None, 0, out), "unsigned codes: numpy"
        assert not out.any()
        # A code out of range under a null is not looked at.
        assert kernels.count_codes(np.array([0, 9, 1], dtype=np.int32), np.array([0b101], dtype=np.uint8), 0, out)
        assert out.tolist() == [1, 1, 1]
    kernels.prepare(0)


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
    def check() -> None:
        assert _counted(batches) == _expected(batches)

    on_each_counting_path(check)


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


# --------------------------------------------------------------------------- NumericCounter


def _running(arrays: list[pa.Array], edges: tuple) -> tuple[list[int], int]:
    counter = NumericCounter(edges)
    for array in arrays:
        counter.add(array)
    counts, n_inf = counter.result()
    return counts.tolist(), n_inf


def _one_by_one(arrays: list[pa.Array], edges: tuple) -> tuple[list[int], int]:
    """The reference: each batch converted as the in-memory path converts it, then counted."""
    total, infinite = np.zeros(len(edges) + 2, dtype=np.int64), 0
    for array in arrays:
        counts, n_inf = count_numeric(numeric_buffer(array), edges)
        total += counts
        infinite += int(n_inf)
    return total.tolist(), infinite


@pytest.fixture(params=["numpy", "kernels"])
def counting_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both counting paths: the numpy one, and the compiled kernels where numba is installed."""
    if request.param == "kernels":
        pytest.importorskip("numba")
        monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
        monkeypatch.setenv(kernels.FORCE_ENV, "1")
    else:
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    assert kernels.prepare(0) == (request.param == "kernels")
    yield request.param
    monkeypatch.undo()
    kernels.prepare(0)


NUMERIC_TYPES = [pa.float64(), pa.int64(), pa.float32(), pa.int32(), pa.uint64(), pa.uint8()]


@pytest.mark.parametrize("arrow_type", NUMERIC_TYPES, ids=str)
@pytest.mark.parametrize("n_edges", [0, 1, 3, 11, 40])  # 40: beyond LINEAR_MAX_EDGES, the binary search
def test_running_counts_equal_each_batch_counted_alone(counting_path: str, arrow_type: pa.DataType, n_edges: int) -> None:
    rng = np.random.default_rng(n_edges)
    edges = tuple(np.unique(rng.uniform(-5, 120, n_edges)).tolist())
    if pa.types.is_integer(arrow_type):
        edges = tuple(sorted({round(e) if i % 2 else e for i, e in enumerate(edges)}))  # integer and fractional edges
    arrays = []
    for i in range(5):
        values = rng.integers(0, 100, 2_000) if pa.types.is_integer(arrow_type) else rng.normal(50, 40, 2_000)
        mask = rng.random(2_000) < 0.05 if i % 2 else None
        arrays.append(pa.array(values, arrow_type, mask=mask).slice(i * 3, 1_900))
    arrays.append(pa.array([], arrow_type))
    assert _running(arrays, edges) == _one_by_one(arrays, edges)


def test_float_specials_and_null_slots_holding_inf(counting_path: str) -> None:
    values = pa.array([1.0, np.nan, None, np.inf, -np.inf, 2.5, None, 0.5], pa.float64(), from_pandas=False)
    under = pa.Array.from_buffers(pa.float64(), 3, [pa.array([True, False, True]).buffers()[1],
                                                    pa.py_buffer(np.array([1.0, np.inf, 3.0]).tobytes())], null_count=1)  # fmt: skip
    all_null = pa.array([None, None], pa.float64())
    edges = (0.0, 1.0, 2.0)
    arrays = [values, under, values.slice(2, 5), values.slice(7), all_null, pa.array([None], pa.int64())]
    assert _running(arrays, edges) == _one_by_one(arrays, edges)
    assert _running([values], edges) == ([1, 2, 0, 2, 3], 2)


@settings(max_examples=80, deadline=None)
@given(
    batches=st.lists(
        st.tuples(
            st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)), max_size=120),
            st.integers(min_value=0, max_value=20),
        ),
        max_size=4,
    ),
    raw_edges=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=0, max_size=12, unique=True),
    integers=st.booleans(),
)
def test_running_counts_equal_the_copies(
    batches: list[tuple[list[float | None], int]], raw_edges: list[float], integers: bool
) -> None:
    # Integer columns: edges within int64 (beyond it the floor's cast is undefined on both paths).
    edges = tuple(sorted({max(min(e, 2.0**62), -(2.0**62)) for e in raw_edges} if integers else raw_edges))
    arrays = []
    for values, skip in batches:
        if integers:
            ints = [None if v is None or not np.isfinite(v) else int(max(min(v, 2**62), -(2**62))) for v in values]
            array = pa.array(ints, pa.int64())
        else:
            array = pa.array(values, pa.float64(), from_pandas=False)
        arrays.append(array.slice(min(skip, len(array))))
    def check() -> None:
        assert _running(arrays, edges) == _one_by_one(arrays, edges)

    on_each_counting_path(check)
