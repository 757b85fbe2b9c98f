"""The compiled counting kernels (numba, optional) give exactly the numpy path's counts.

The numpy path (``KL_DRIFT_NO_NUMBA=1``) is the reference: every count, every ``n_inf``,
every statistic of a report must be the same, bit for bit, on hand-picked edge cases, on
random data (hypothesis) and on the engines' conformance catalogue.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_helpers import record_calls

import kl_drift as kd
from kl_drift._core import kernels
from kl_drift._core.bins import count_numeric
from tests.conformance.catalogue import COMPARE_OPTIONS, groups, reference_profile

numba = pytest.importorskip("numba")


def _both(monkeypatch: pytest.MonkeyPatch, job):  # noqa: ANN001, ANN202
    """`job()` on the numpy path, then with the kernels forced on."""
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    monkeypatch.delenv(kernels.FORCE_ENV, raising=False)
    assert not kernels.ready() and kernels.count_bins(np.zeros(3), np.zeros(1)) is None
    expected = job()
    monkeypatch.delenv(kernels.DISABLE_ENV)
    monkeypatch.setenv(kernels.FORCE_ENV, "1")
    assert kernels.ready() and kernels.count_bins(np.zeros(3), np.zeros(1)) is not None
    return expected, job()


def _counts(x: np.ndarray, edges: tuple) -> tuple[list[int], int]:
    counts, n_inf = count_numeric(x, edges)
    return counts.tolist(), int(n_inf)


SPECIALS = np.array([-np.inf, -1.0, -0.0, 0.0, 1e-300, 5e-324, 1.0, 2.5, np.inf, np.nan, np.nan])


@pytest.mark.parametrize(
    "x, edges",
    [
        (SPECIALS, (0.0,)),
        (SPECIALS, (-0.0, 1.0)),
        (SPECIALS, (-1.0, 0.0, 1e-300, 1.0, 2.5)),
        (np.repeat(SPECIALS, 1000), (-1.0, -0.0, 2.5)),  # several blocks
        (np.array([np.nan] * 5), (1.0, 2.0)),
        (np.array([], dtype=np.float64), (1.0,)),
        (np.arange(-50, 50, dtype=np.int64), (-10, 0, 0.5, 49)),  # a fractional edge, floored
        (np.array([-(2**63), 2**53 + 1, 2**63 - 1], dtype=np.int64), (2**53, 2**53 + 1)),
        (np.linspace(-5, 5, 10_001), tuple(np.linspace(-4, 4, 60))),  # the binary search
        (np.linspace(-5, 5, 10_001)[::3], (-1.0, 1.0)),  # a strided view
    ],
)
def test_kernel_counts_equal_the_numpy_path(monkeypatch: pytest.MonkeyPatch, x: np.ndarray, edges: tuple) -> None:
    expected, compiled = _both(monkeypatch, lambda: _counts(x, edges))
    assert compiled == expected


def test_ties_on_edges_land_in_the_lower_bin_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    edges = (1.0, 2.0, 3.0)
    x = np.array([1.0, 2.0, 3.0, np.nextafter(1.0, 2.0), np.nextafter(3.0, 4.0)])
    expected, compiled = _both(monkeypatch, lambda: _counts(x, edges))
    assert compiled == expected == ([1, 2, 1, 1, 0], 0)


def test_datetimes_count_as_int64_nanoseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=500, freq="h", tz="UTC")})
    cur = pd.DataFrame(
        {"t": pd.Series(pd.date_range("2024-01-05", periods=500, freq="37min", tz="UTC")).where(lambda s: s.index % 7 > 0)}
    )
    prof = kd.profile(ref, bins=8)
    expected, compiled = _both(monkeypatch, lambda: kd.count(prof, cur)["t"])
    assert compiled == expected
    assert expected.counts[-1] > 0


_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_FLOATS, max_size=5000),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40, unique=True),
)
def test_kernel_equals_numpy_on_random_floats(values: list[float], raw_edges: list[float]) -> None:
    x = np.asarray(values, dtype=np.float64)
    edges = tuple(sorted(set(raw_edges)))
    # A hypothesis test cannot take function-scoped fixtures: switch the paths by hand.
    with pytest.MonkeyPatch.context() as mp:
        expected, compiled = _both(mp, lambda: _counts(x, edges))
    assert compiled == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3000),
    st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=1, max_size=40, unique=True),
)
def test_kernel_equals_numpy_on_random_integers(values: list[int], raw_edges: list[int]) -> None:
    x = np.asarray(values, dtype=np.int64)
    edges = tuple(sorted(raw_edges))
    with pytest.MonkeyPatch.context() as mp:
        expected, compiled = _both(mp, lambda: _counts(x, edges))
    assert compiled == expected


@pytest.mark.parametrize("group", sorted(groups()))
def test_conformance_catalogue_is_identical_on_both_paths(monkeypatch: pytest.MonkeyPatch, group: str) -> None:
    prof = reference_profile(group)
    current = groups()[group].current

    def report() -> tuple[kd.CountTable, dict]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            result = kd.compare(prof, current, **COMPARE_OPTIONS)
        return kd.count(prof, current), result.to_dict()

    (table_np, report_np), (table_nb, report_nb) = _both(monkeypatch, report)
    assert table_nb == table_np
    for a, b in zip(report_np["columns"], report_nb["columns"]):
        a.pop("created_at", None), b.pop("created_at", None)
        assert a == b, a["column"]
    assert any(isinstance(c.bins, kd.NumericBins) for c in prof.columns), "the catalogue exercises numeric bins"


def test_small_jobs_do_not_load_numba_and_import_stays_light() -> None:
    code = (
        "import json, sys, os\n"
        f"os.environ.pop({kernels.FORCE_ENV!r}, None)\n"
        "import kl_drift as kd, pandas as pd\n"
        "after_import = 'numba' in sys.modules\n"
        "df = pd.DataFrame({'x': [float(i) for i in range(1000)]})\n"
        "kd.compare(kd.profile(df), df)\n"
        "print(json.dumps([after_import, 'numba' in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, False]


def test_a_big_enough_job_loads_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    monkeypatch.delenv(kernels.FORCE_ENV, raising=False)
    monkeypatch.setattr(kernels, "MIN_VALUES", 1000)
    monkeypatch.setattr(kernels, "_loaded", None)
    assert kernels.prepare(999) is False and kernels._loaded is None, "a small job leaves numba unloaded"
    monkeypatch.setattr(kernels, "_loaded", None)
    monkeypatch.setattr(kernels, "VALUES_PER_COLUMN", 10)
    assert kernels.prepare(0, 99) is False
    assert kernels.prepare(10, 99) is True, "many columns pay for loading too"
    assert kernels.ready(), "once loaded, every job uses the kernels"
    monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    assert kernels.prepare(10**12) is False and not kernels.ready()


def test_without_a_writable_cache_the_kernels_compile_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only package directory and no writable user cache: numba finds no cache
    location (RuntimeError when the kernel is defined); the kernels are compiled uncached."""
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    monkeypatch.setattr(kernels, "_loaded", None)
    monkeypatch.setenv(kernels.FORCE_ENV, "1")
    monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    assert kernels.ready()
    out = kernels.count_bins(np.array([1.0, 2.0, np.nan, -np.inf]), np.array([1.5]))
    assert out is not None and out.tolist() == [2, 1, 1, 1]


# Strings: the compiled hash of Arrow string buffers (kernels.tally_strings) against pandas'
# (Arrow's) value_counts, the reference path. These tests turn the string kernel on
# (kernels.COUNT_STRINGS) whatever its default.


def assert_same_results(expected: tuple, compiled: tuple) -> None:
    """A (profile dict, count table, report columns) of the reference path equals the kernel path's."""
    (prof_np, table_np, report_np), (prof_nb, table_nb, report_nb) = expected, compiled
    prof_np.pop("created_at"), prof_nb.pop("created_at")
    assert prof_nb == prof_np
    assert table_nb == table_np
    assert len(report_nb) == len(report_np)
    for a, b in zip(report_np, report_nb):
        a.pop("created_at", None), b.pop("created_at", None)
        assert a == b, a["column"]


def _both_strings(monkeypatch: pytest.MonkeyPatch, job):  # noqa: ANN001, ANN202
    """`job()` on the reference path, then with the string kernel on; asserts it ran."""
    calls = record_calls(monkeypatch, kernels, "tally_strings")
    monkeypatch.setattr(kernels, "COUNT_STRINGS", True)
    expected, compiled = _both(monkeypatch, job)
    assert any(calls), "the string kernel counted"
    return expected, compiled


def _arrow_reference(chunks: list) -> tuple[list, list, int]:
    """Distinct values (first appearance), counts and missing, as Arrow's value_counts gives."""
    import pyarrow as pa

    data = pa.chunked_array(chunks, type=chunks[0].type) if chunks else pa.chunked_array([], type=pa.string())
    counts = data.value_counts()
    values = counts.field("values").to_pylist() if len(counts) else []
    freq = counts.field("counts").to_pylist() if len(counts) else []
    missing = data.null_count
    if None in values:  # value_counts lists nulls; the tally keeps them apart
        i = values.index(None)
        del values[i], freq[i]
    return values, freq, missing


def _tally_both(chunks: list) -> tuple[tuple, tuple]:
    kernels.prepare(0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kernels.FORCE_ENV, "1")
        mp.delenv(kernels.DISABLE_ENV, raising=False)
        assert kernels.prepare(0)
        out = kernels.tally_strings(chunks)
    assert out is not None
    return (out[0].tolist(), out[1].tolist(), out[2]), _arrow_reference(chunks)


# Keys of 0-40 bytes: the kernel reads up to 8 bytes as one word and compares longer keys
# word by word, so lengths around 8, 16 and the buffer's ends matter.
TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(max_size=40),
    st.sampled_from(["", "a", "é", "日本語", "a" * 7, "a" * 8, "a" * 9, "a" * 16, "a" * 17, "\x00", "\x00" * 9, "cat_1"]),
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(TEXT, max_size=80),
    large=st.booleans(),
    cut=st.lists(st.integers(0, 60), max_size=3),
    start=st.integers(0, 5),
)
def test_string_kernel_equals_arrow_value_counts(values: list, large: bool, cut: list, start: int) -> None:
    import pyarrow as pa

    whole = pa.array(values, type=pa.large_string() if large else pa.string())
    whole = whole.slice(min(start, len(whole)))  # a slice: offsets and validity start mid-buffer
    bounds = sorted({0, len(whole), *(min(c, len(whole)) for c in cut)})
    chunks = [whole.slice(a, b - a) for a, b in zip(bounds, bounds[1:])] or [whole]
    compiled, reference = _tally_both(chunks)
    assert compiled == reference


@pytest.mark.parametrize("width", [3, 8, 9, 16, 40])
def test_string_kernel_grows_its_table_and_key_bytes(width: int) -> None:
    import pyarrow as pa

    from kl_drift._core import string_kernel

    rng = np.random.default_rng(width)
    distinct = [f"{i:0{width}d}"[-width:] + "é" * (i % 3) for i in range(20_000)]
    picks = rng.integers(0, len(distinct), 60_000)
    rows = [None if p % 97 == 0 else distinct[p] for p in picks]
    kind = pa.large_string() if width in (9, 40) else pa.string()
    chunks = [pa.array(rows[:15_000], type=kind), pa.array(rows[15_000:], type=kind).slice(7)]
    compiled, reference = _tally_both(chunks)
    # From SPARSE_SLOTS slots on (more than a quarter of them distinct keys) the kernel
    # hashes blocks of rows ahead of their lookups; 3-digit keys have 3,000 values only.
    assert width == 3 or len(compiled[0]) > string_kernel.SPARSE_SLOTS // 4, "the table had to grow past SPARSE_SLOTS"
    assert compiled == reference


def _colliding_keys(seed: int, n: int, low_bits: int) -> list[str]:
    """`n` ASCII keys of 8 bytes whose string hashes (under `seed`) share their `low_bits`
    lowest bits: they all probe from the same slot of any table of up to 2**low_bits slots.
    The hash of an 8-byte key is a bijection of its word, so it can be inverted."""
    from kl_drift._core import string_kernel as sk

    mask = (1 << 64) - 1

    def unmix(h: int) -> int:  # the inverse of MurmurHash3's finaliser
        inverse1, inverse2 = pow(int(sk.FMIX1), -1, 1 << 64), pow(int(sk.FMIX2), -1, 1 << 64)
        h ^= h >> 33
        h = (h * inverse2) & mask
        h ^= h >> 33
        h = (h * inverse1) & mask
        return h ^ (h >> 33)

    keys: list[str] = []
    high = 1
    while len(keys) < n:
        word = unmix((high << low_bits) & mask) ^ seed ^ ((8 * int(sk.LENGTH_MIX)) & mask)
        raw = word.to_bytes(8, "little")
        if all(b < 0x80 for b in raw):
            keys.append(raw.decode("ascii"))
        high += 1
    return keys


@pytest.mark.parametrize("n_keys", [100, 300])
def test_string_kernel_survives_colliding_keys(monkeypatch: pytest.MonkeyPatch, n_keys: int) -> None:
    """Keys crafted (knowing the seed) to fall on one slot: below MAX_PROBES the counts are
    still exact (full keys compare); beyond, the kernel gives up (None) and the caller counts
    with Arrow, so a flood costs at most MAX_PROBES slots per row."""
    import pyarrow as pa

    from kl_drift._core import string_kernel

    seed = 0x1234_5678_9ABC_DEF0
    monkeypatch.setattr(kernels, "_SEED", np.uint64(seed))
    keys = _colliding_keys(seed, n_keys, 24)
    rows = keys + keys[::-1] + [None, keys[0]]
    chunks = [pa.array(rows)]
    kernels.prepare(0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kernels.FORCE_ENV, "1")
        assert kernels.prepare(0)
        out = kernels.tally_strings(chunks)
    if n_keys <= string_kernel.MAX_PROBES:
        assert out is not None
        assert (out[0].tolist(), out[1].tolist(), out[2]) == _arrow_reference(chunks)
    else:
        assert out is None


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "large_string[pyarrow]", "string[python]", "object"])
def test_string_columns_count_and_compare_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch, dtype: str) -> None:
    import pyarrow as pa

    labels = [f"v{i}" for i in range(300)] + ["", "naïve", "東京", "x" * 30]

    def frame(seed: int, n: int) -> pd.DataFrame:
        r = np.random.default_rng(seed)
        rows = [None if m else labels[i] for i, m in zip(r.zipf(1.3, n) % len(labels), r.random(n) < 0.05)]
        if dtype == "large_string[pyarrow]":
            series = pd.Series(pd.array(rows, dtype=pd.ArrowDtype(pa.large_string())))
        else:
            series = pd.Series(rows, dtype=dtype)
        return pd.DataFrame({"s": series, "x": r.normal(size=n)})

    ref, cur = frame(1, 5000), frame(2, 4000).iloc[500:]  # a slice of the current frame

    def job() -> tuple:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            prof = kd.profile(ref, max_categories=50)
            return prof.to_dict(), kd.count(prof, cur), kd.compare(prof, cur).to_dict()["columns"]

    arrow_backed = dtype in ("str", "string[pyarrow]", "large_string[pyarrow]") and pd.Series([], dtype=dtype).dtype != object
    if arrow_backed:
        expected, compiled = _both_strings(monkeypatch, job)
    else:
        expected, compiled = _both(monkeypatch, job)
    assert_same_results(expected, compiled)


@pytest.mark.parametrize("group", sorted(groups()))
def test_conformance_catalogue_is_identical_with_the_string_kernel(monkeypatch: pytest.MonkeyPatch, group: str) -> None:
    reference, current = groups()[group].reference, groups()[group].current
    strings = [
        c for c in current.columns if isinstance(current[c].dtype, pd.StringDtype) and current[c].dtype.storage == "pyarrow"
    ]
    if not strings:
        pytest.skip(f"no Arrow-backed string column in {group!r} (pandas {pd.__version__})")

    def job() -> tuple:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            prof = kd.profile(reference)
            result = kd.compare(prof, current, **COMPARE_OPTIONS)
        return prof.to_dict(), kd.count(prof, current), result.to_dict()["columns"]

    assert_same_results(*_both_strings(monkeypatch, job))
