"""The string kernel's factorisation (`kernels.factorize_strings`), which counts a timeline's
text columns per period, gives Arrow's `dictionary_encode`: the same codes, the same values in
the same order (first appearance), nulls as -1; and grouped counts through it equal the
pandas engine's count of each group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from shared_helpers import record_calls

import kl_drift as kd
from kl_drift._core import kernels
from kl_drift._engines import grouped

pa = pytest.importorskip("pyarrow")
pc = pytest.importorskip("pyarrow.compute")

pytestmark = pytest.mark.skipif(not kernels.available(), reason="numba is not installed")


@pytest.fixture(autouse=True)
def _kernels_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.FORCE_ENV, "1")
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    monkeypatch.setattr(kernels, "COUNT_STRINGS", True)
    assert kernels.prepare(0) and kernels.strings_in_use()


def _arrow_codes(chunks: list) -> tuple[list, list]:
    data = pa.chunked_array(chunks, type=chunks[0].type).combine_chunks()
    encoded = pc.dictionary_encode(data)
    return encoded.indices.fill_null(-1).to_pylist(), encoded.dictionary.to_pylist()


TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(max_size=30),
    st.sampled_from(["", "a", "é", "a" * 8, "a" * 9, "a" * 16, "a" * 17, "\x00", "\x00" * 9]),
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(TEXT, min_size=1, max_size=80),
    large=st.booleans(),
    cut=st.lists(st.integers(0, 60), max_size=3),
    start=st.integers(0, 5),
)
def test_factorize_strings_equals_arrow_dictionary_encode(values: list, large: bool, cut: list, start: int) -> None:
    whole = pa.array(values, type=pa.large_string() if large else pa.string())
    whole = whole.slice(min(start, len(whole)))  # offsets and validity start mid-buffer
    bounds = sorted({0, len(whole), *(min(c, len(whole)) for c in cut)})
    chunks = [whole.slice(a, b - a) for a, b in zip(bounds, bounds[1:])] or [whole]
    out = kernels.factorize_strings(chunks)
    assert out is not None
    codes, uniques = out
    assert codes.dtype == np.int32 and len(codes) == len(whole)
    assert (codes.tolist(), uniques.tolist()) == _arrow_codes(chunks)


def test_factorize_strings_many_values_across_chunks() -> None:
    rng = np.random.default_rng(7)
    distinct = [f"v{i:06d}" + "é" * (i % 3) for i in range(30_000)]
    rows = [None if p % 89 == 0 else distinct[p] for p in rng.integers(0, len(distinct), 90_000)]
    chunks = [pa.array(rows[:40_000]), pa.array(rows[40_000:]).slice(3)]
    out = kernels.factorize_strings(chunks)
    assert out is not None
    assert (out[0].tolist(), out[1].tolist()) == _arrow_codes(chunks)


@pytest.mark.parametrize("n_groups", [1, 7])
def test_grouped_text_counts_through_the_kernel_equal_each_groups_count(
    monkeypatch: pytest.MonkeyPatch, n_groups: int
) -> None:
    rng = np.random.default_rng(n_groups)
    labels = [f"k{i}" for i in range(400)] + ["", "long label " * 3]
    ref = pd.DataFrame({"s": pd.array(rng.choice(labels[:300], 5000).tolist(), dtype="str")})
    picked = rng.choice(labels, 6000).astype(object)
    picked[rng.random(6000) < 0.05] = None
    cur = pd.DataFrame({"s": pd.array(picked.tolist(), dtype="str")})
    if not (isinstance(cur["s"].dtype, pd.StringDtype) and cur["s"].dtype.storage == "pyarrow"):
        pytest.skip("text is not Arrow-backed on this pandas")
    prof = kd.profile(ref, max_categories=50)
    groups = np.sort(rng.integers(0, n_groups, len(cur)))
    used = record_calls(monkeypatch, kernels, "factorize_strings")
    counted = grouped.count_groups(prof, cur, groups, n_groups, parallel=False)
    assert used == [True], "the kernel factorised the text column"
    # The reference: Arrow's value_counts of each group's rows (the string kernel off).
    monkeypatch.setattr(kernels, "COUNT_STRINGS", False)
    for g in range(n_groups):
        assert counted.tables[g]["s"] == kd.count(prof, cur[groups == g].reset_index(drop=True))["s"]


@settings(max_examples=120, deadline=None)
@given(
    width=st.integers(1, 6),
    sizes=st.lists(st.integers(0, 120), min_size=1, max_size=6),
    dtype=st.sampled_from([np.int8, np.int32, np.int64]),
    seed=st.integers(0, 2**32 - 1),
)
@example(width=2, sizes=[101, 3, 0, 50], dtype=np.int8, seed=1)  # a long run with a tail of 1 row
def test_per_run_kernel_equals_a_bincount_of_each_run(width: int, sizes: list, dtype: type, seed: int) -> None:
    # Runs both shorter and longer than `_SCRATCH_RUN` rows per value, so both of the
    # kernel's loops (one increment per row, four scratch rows) are compared.
    kernel = grouped._compiled()
    assert kernel is not None
    rng = np.random.default_rng(seed)
    runs = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    codes = rng.integers(-1, width - 1, size=int(runs[-1]), endpoint=True).astype(dtype)
    out = np.zeros((len(sizes), width + 1), dtype=np.int64)
    kernel["per_run"](codes, runs, out)
    for g in range(len(sizes)):
        part = codes[runs[g] : runs[g + 1]].astype(np.int64) + 1
        assert out[g].tolist() == np.bincount(part, minlength=width + 1).tolist(), g
