"""Grouped counting (a timeline's one pass) equals the pandas engine's count of each group's rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_helpers import on_each_counting_path

import kl_drift as kd
from kl_drift._core import kernels
from kl_drift._engines import grouped
from kl_drift._engines import pandas as pandas_engine
from tests.conformance import catalogue


def assert_groups_equal(prof: kd.ReferenceProfile, frame: pd.DataFrame, codes: np.ndarray, n_groups: int) -> None:
    """Every group's CountTable and pooled counts equal the pandas engine's on that group's rows."""
    result = grouped.count_groups(prof, frame, codes, n_groups, pooled=True)
    assert len(result.tables) == n_groups
    for g in range(n_groups):
        rows = frame.iloc[np.flatnonzero(codes == g)]
        expected = pandas_engine.count(prof, rows)
        got = result.tables[g]
        assert got.n_rows == expected.n_rows == len(rows)
        assert got.data_columns == expected.data_columns
        assert list(got.columns) == list(expected.columns)
        for name, want in expected.columns.items():
            assert got[name] == want, (g, name, got[name], want)
            col = prof[name]
            if col.pooled is not None and want.problem is None and isinstance(col.bins, kd.CategoricalBins):
                assert result.pooled[g][name] == pandas_engine.count_pooled_series(rows[name], col.bins), (g, name)


@pytest.fixture(params=["numpy", "compiled"])
def counting_path(request, monkeypatch):
    """Both ways of binning numeric values: numpy's searchsorted and the numba kernel."""
    if request.param == "compiled":
        if not kernels.available():
            pytest.skip("numba is not installed")
        monkeypatch.setenv(kernels.FORCE_ENV, "1")
        monkeypatch.delenv(kernels.DISABLE_ENV, raising=False)
    else:
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    yield request.param
    kernels.prepare(0)


@pytest.fixture(params=["per_value", "per_bin"])
def categorical_path(request, monkeypatch):
    """Both ways of counting categorical columns: per (group, value), and per (group, bin)
    with the listed values apart (columns of many distinct values)."""
    if request.param == "per_bin":
        monkeypatch.setattr(grouped, "DENSE_CELLS", 0)
    return request.param


@pytest.mark.parametrize("group", ["synthetic", "flights"])
def test_catalogue_groups_equal_the_pandas_engine(group, counting_path, categorical_path):
    """The conformance catalogue's current frames (every column case: NaN, ±inf, integer ties,
    naive and aware datetimes, booleans, strings with unseen values, all missing, type mismatch,
    missing column), cut into random groups, some empty, some rows in none."""
    prof = catalogue.reference_profile(group)
    frame = catalogue.groups()[group].current
    rng = np.random.default_rng(7)
    n_groups = 9
    codes = rng.integers(-1, n_groups - 1, size=len(frame))  # group 8 stays empty, -1: no group
    codes[:40] = 3
    assert_groups_equal(prof, frame, codes, n_groups)
    # Contiguous groups (a sorted time column) and a single group of every row.
    assert_groups_equal(prof, frame, np.sort(codes.clip(0)), n_groups)
    assert_groups_equal(prof, frame, np.zeros(len(frame), dtype=np.int64), 1)


def test_reference_frames_with_pooled_values_and_categorical_dtype(counting_path, categorical_path):
    """Profiles that keep pooled values, category-dtype columns with unseen categories (their
    unseen lists carry zero counts), nullable integers and Arrow-backed columns."""
    rng = np.random.default_rng(3)
    n = 4000
    words = np.array([f"w{i}" for i in range(60)])
    ref = pd.DataFrame({
        "word": rng.choice(words[:40], size=n),
        "cat": pd.Categorical(rng.choice(["a", "b", "c"], size=n), categories=["a", "b", "c", "d"]),
        "nullable": pd.array(rng.integers(0, 500, size=n), dtype="Int64"),
        "flag": rng.random(n) < 0.3,
        "x": rng.normal(size=n),
    })  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(ref, max_categories=10)
    assert prof["word"].pooled is not None and prof["word"].bins.other_values
    cur = pd.DataFrame({
        "word": pd.Series(rng.choice(words, size=n), dtype=object).where(rng.random(n) > 0.05, None),
        "cat": pd.Categorical(rng.choice(["a", "b", "d", "e"], size=n), categories=["a", "b", "d", "e", "f"]),
        "nullable": pd.array(rng.integers(-50, 600, size=n), dtype="Int64"),
        "flag": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "x": pd.array(rng.normal(size=n), dtype="float64[pyarrow]"),
    })  # fmt: skip
    # Arrow text in several chunks (as pd.concat leaves it), each with values of its own.
    cur["arrow_word"] = pd.concat(
        [cur["word"].iloc[: n // 2].astype("string[pyarrow]"), cur["word"].iloc[n // 2 :].str.upper().astype("string[pyarrow]")]
    )
    cur["large_word"] = cur["word"].astype(pd.ArrowDtype(pa.large_string()))
    prof = kd.profile(ref.assign(arrow_word=ref["word"], large_word=ref["word"]), max_categories=10)
    assert pa.array(cur["arrow_word"].array).num_chunks == 2
    cur.loc[cur.index[::17], "nullable"] = pd.NA
    codes = rng.integers(-1, 6, size=n)
    assert_groups_equal(prof, cur, codes, 6)
    assert_groups_equal(prof, cur, np.sort(codes), 6)


def test_problems_per_group():
    """A type mismatch is per group as the pandas engine sees it: a group whose values are all
    missing fits any bins; a mixed object column is typed group by group."""
    ref = pd.DataFrame({"x": np.arange(100.0), "s": ["a", "b"] * 50})
    prof = kd.profile(ref)
    cur = pd.DataFrame({
        "x": ["a"] * 5 + [None] * 5 + ["b"] * 5,
        "s": ["a", "b", "c", "d", "a", 1, 2, 3, 4, 5, "a", None, "b", "c", "a"],
    })  # fmt: skip
    codes = np.repeat([0, 1, 2], 5)
    result = grouped.count_groups(prof, cur, codes, 3)
    assert result.tables[1]["x"].problem is None and result.tables[1]["x"].counts[-1] == 5
    assert result.tables[0]["x"].problem == "type_mismatch"
    assert_groups_equal(prof, cur, codes, 3)
    cur["x"] = pd.array(["a"] * 5 + [None] * 5 + ["b"] * 5, dtype="string")
    assert_groups_equal(prof, cur, codes, 3)


def test_bad_codes():
    prof = kd.profile(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="one group per row"):
        grouped.count_groups(prof, pd.DataFrame({"x": [1.0]}), np.array([0, 0]), 1)
    with pytest.raises(ValueError, match="`n_groups` is 1"):
        grouped.count_groups(prof, pd.DataFrame({"x": [1.0, 2.0]}), np.array([0, 1]), 1)


_numbers = st.one_of(
    # Beyond ±1e300 the reference range edge just below the minimum overflows (reported apart).
    st.floats(min_value=-1e300, max_value=1e300) | st.sampled_from([np.nan, np.inf, -np.inf]),
    st.integers(-5, 5).map(float),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ref=st.lists(_numbers, min_size=5, max_size=60),
    cur=st.lists(st.tuples(_numbers, st.sampled_from(["a", "b", "c", None]), st.integers(-1, 3)), min_size=0, max_size=80),
    bins=st.integers(1, 6),
)
def test_random_frames_equal_the_pandas_engine(ref, cur, bins):
    reference = pd.DataFrame({"x": ref, "s": (["a", "b", "z"] * len(ref))[: len(ref)]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        prof = kd.profile(reference, bins=bins)
    frame = pd.DataFrame({"x": [c[0] for c in cur], "s": pd.Series([c[1] for c in cur], dtype=object)})
    codes = np.array([c[2] for c in cur], dtype=np.int64)
    def check() -> None:
        assert_groups_equal(prof, frame, codes, 4)
        assert_groups_equal(prof, frame, np.sort(codes), 4)
        with pytest.MonkeyPatch.context() as few_cells:
            few_cells.setattr(grouped, "DENSE_CELLS", 0)
            assert_groups_equal(prof, frame, codes, 4)

    on_each_counting_path(check)
