"""kl_drift.spark in local mode: same bins, counts and scores as the pandas path."""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

pyspark_sql = pytest.importorskip("pyspark.sql")
kds = pytest.importorskip("kl_drift.spark")

pytestmark = pytest.mark.spark


def _frames(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3 + shift, 0.5, size=n)
    amount[rng.random(n) < 0.03] = np.nan
    amount[:2] = [np.inf, -np.inf]
    plan = rng.choice(["basic", "plus", "pro"] + (["enterprise"] if shift else []), size=n).astype(object)
    plan[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "amount": amount,
            "items": rng.integers(1, 6, size=n),
            "visits": rng.integers(0, 1000, size=n),
            "plan": plan,
            "member": rng.random(n) < 0.3 + shift / 5,
            "seen_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 90, size=n), unit="s"),
        }
    )


def _to_spark(spark, frame: pd.DataFrame):
    # Missing strings must reach Spark as NULL, not as the text "nan"; missing doubles stay
    # NaN, which both paths count as missing.
    strings = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    frame = frame.astype({c: object for c in strings})
    for c in strings:
        frame[c] = frame[c].where(frame[c].notna(), None)
    return spark.createDataFrame(frame)


def test_profile_equals_the_pandas_profile_with_exact_quantiles(spark):
    reference = _frames(0, 3000)
    expected = kd.profile(reference)
    got = kds.profile(_to_spark(spark, reference), relative_error=0.0)
    assert got.names == expected.names
    for mine, theirs in zip(got.columns, expected.columns):
        assert mine.kind == theirs.kind, mine.name
        assert mine.bins == theirs.bins, mine.name
        assert mine.counts == theirs.counts, mine.name
        assert mine.n_inf == theirs.n_inf, mine.name
    assert got.n_rows == expected.n_rows


def test_compare_matches_pandas_to_1e9(spark):
    reference, current = _frames(0, 3000), _frames(1, 2000, shift=0.3)
    prof = kd.profile(reference)
    expected = kd.compare(prof, current, pvalue_method="asymptotic")
    got = kds.compare(prof, _to_spark(spark, current), pvalue_method="asymptotic")
    for mine, theirs in zip(got.columns, expected.columns):
        assert mine.status == theirs.status, mine.column
        assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300), mine.column
        assert mine.unseen_examples == theirs.unseen_examples, mine.column
        assert mine.current_counts == theirs.current_counts, mine.column
        assert mine.statistic == pytest.approx(theirs.statistic, abs=1e-9), mine.column
        assert mine.n_inf_current == theirs.n_inf_current, mine.column
    assert got.drifted == expected.drifted


def test_counts_merge_across_partitions_like_the_whole(spark):
    reference = _frames(2, 2000)
    prof = kd.profile(reference)
    data = _to_spark(spark, reference)
    halves = data.randomSplit([0.5, 0.5], seed=3)
    merged = kds.count(prof, halves[0]).merge(kds.count(prof, halves[1]))
    assert merged == kds.count(prof, data) == prof


def test_approximate_quantiles_stay_within_the_rank_error(spark):
    reference = pd.DataFrame({"x": np.random.default_rng(4).normal(size=20_000)})
    relative_error = 0.01
    got = kds.profile(_to_spark(spark, reference), relative_error=relative_error)["x"]
    values = np.sort(reference["x"].to_numpy())
    for j, edge in enumerate(got.bins.edges, start=1):
        rank = np.searchsorted(values, edge, side="right") / values.size
        assert abs(rank - j / 10) <= relative_error + 1 / values.size


def test_missing_and_mismatched_columns_are_reported(spark):
    prof = kd.profile(_frames(0, 500))
    current = _to_spark(spark, _frames(1, 300).drop(columns=["items"]).assign(amount=lambda f: f["plan"]))
    report = kds.compare(prof, current)
    assert report["items"].status == "missing_column"
    assert report["amount"].status == "type_mismatch"
    assert "string" in report["amount"].reason
    assert report.drifted


def test_missing_pyspark_gives_an_install_hint():
    sys.modules.pop("kl_drift.spark", None)
    with mock.patch.dict(sys.modules, {"pyspark": None, "pyspark.sql": None}):
        with pytest.raises(ImportError, match=r"pip install \"kl_drift\[spark\]\""):
            import kl_drift.spark  # noqa: F401
    sys.modules.pop("kl_drift.spark", None)


def test_unseen_values_are_listed_so_pvalues_match_pandas(spark):
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"size": rng.choice(["S", "M", "L"], size=60).astype(object)})
    current = pd.DataFrame({"size": rng.choice(["S", "M", "L", "XL", "XXL", "XS"], size=40).astype(object)})
    prof = kd.profile(reference)
    expected = kd.compare(prof, current)["size"]
    counted = kds.count(prof, _to_spark(spark, current))
    assert counted["size"].unseen == prof["size"].count(current["size"]).unseen
    assert len(counted["size"].unseen) == 3 and counted["size"].unseen_complete
    got = kds.compare(prof, _to_spark(spark, current))["size"]
    assert (got.pvalue, got.pvalue_method, got.unseen_examples) == (expected.pvalue, expected.pvalue_method, expected.unseen_examples)
