"""Spark timelines (one aggregation grouped by period) equal the pandas timeline of the same rows."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

pytestmark = pytest.mark.spark


def _events(n: int, seed: int) -> pd.DataFrame:
    """Shuffled times over ten weeks with missing ones; NaN, ±inf, missing and unseen text,
    a boolean, integers; drift from February on."""
    rng = np.random.default_rng(seed)
    t = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 70 * 86_400, n) * 10**6, unit="us"))
    late = (t >= pd.Timestamp("2024-02-01")).to_numpy()
    x = rng.normal(size=n) + 0.8 * late
    x[rng.random(n) < 0.03] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    plan = pd.Series(rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]), dtype=object)
    plan[late & (rng.random(n) < 0.1)] = "brand-new"
    plan[rng.random(n) < 0.05] = None
    t[rng.random(n) < 0.01] = pd.NaT
    return pd.DataFrame({"t": t, "x": x, "plan": plan, "flag": rng.random(n) < 0.3 + 0.2 * late, "k": rng.integers(0, 50, n)})


def _same(spark_tl: kd.Timeline, pandas_tl: kd.Timeline) -> None:
    assert spark_tl.n_unassigned == pandas_tl.n_unassigned
    assert [(p.label, p.n_rows, p.status) for p in spark_tl.periods] == [(p.label, p.n_rows, p.status) for p in pandas_tl.periods]
    assert spark_tl.drifted_periods == pandas_tl.drifted_periods
    scored = 0
    for a, b in zip(spark_tl.periods, pandas_tl.periods):
        if b.report is None:
            continue
        scored += 1
        assert a.report is not None and a.report.drifted == b.report.drifted
        for x, y in zip(a.report, b.report):
            assert (x.column, x.status, x.current_counts, x.reference_counts, x.n_inf_current) == (
                y.column, y.status, y.current_counts, y.reference_counts, y.n_inf_current,
            )  # fmt: skip
            assert x.unseen_examples == y.unseen_examples
            assert x.statistic == pytest.approx(y.statistic, abs=1e-12)
            assert x.pvalue == pytest.approx(y.pvalue, abs=1e-12)
    assert scored >= 3


@pytest.fixture(scope="module")
def events(spark, tmp_path_factory):
    df = _events(6000, 3)
    path = tmp_path_factory.mktemp("timeline") / "events.parquet"
    df.to_parquet(path, index=False)
    return pd.read_parquet(path), spark.read.parquet(str(path))


@pytest.mark.parametrize("freq", ["D", "W", "MS", "12h"])
def test_spark_timeline_equals_pandas_with_a_profile(spark, events, freq):
    from kl_drift import spark as kds

    frame, sdf = events
    prof = kd.profile(frame.drop(columns="t").iloc[:1500])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        want = kd.compare_over_time(frame, time_column="t", freq=freq, reference=prof)
        got = kds.compare_over_time(sdf, time_column="t", freq=freq, reference=prof)
    _same(got, want)


def test_spark_timeline_of_first_periods_and_session_time_zone(spark, events):
    """The first periods profiled on the cluster (exact edges) give the pandas timeline, and
    periods of naive times do not move with the session time zone."""
    from kl_drift import spark as kds

    frame, sdf = events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        want = kd.compare_over_time(frame, time_column="t", freq="W", reference_periods=2)
        before = spark.conf.get("spark.sql.session.timeZone")
        spark.conf.set("spark.sql.session.timeZone", "America/New_York")
        try:
            got = kds.compare_over_time(sdf, time_column="t", freq="W", reference_periods=2, relative_error=0)
        finally:
            spark.conf.set("spark.sql.session.timeZone", before)
    assert [p.status for p in got.periods[:3]] == ["reference", "reference", "scored"]
    _same(got, want)


def test_spark_timeline_of_utc_instants(spark, tmp_path):
    from kl_drift import spark as kds

    frame = _events(3000, 5)
    frame["t"] = frame["t"].dt.tz_localize("UTC")
    frame.to_parquet(tmp_path / "aware.parquet", index=False)
    prof = kd.profile(frame.drop(columns="t").iloc[:800])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        want = kd.compare_over_time(frame, time_column="t", freq="W", reference=prof)
        got = kds.compare_over_time(spark.read.parquet(str(tmp_path / "aware.parquet")), time_column="t", freq="W", reference=prof)
    assert got.periods[0].start.tzinfo is not None
    _same(got, want)


def test_spark_timeline_bad_input(spark, events):
    from kl_drift import spark as kds

    _, sdf = events
    with pytest.raises(kd.ColumnError, match="column 'when'"):
        kds.compare_over_time(sdf, time_column="when", freq="D")
    with pytest.raises(kd.ColumnError, match="column 'x'.*TIMESTAMP, TIMESTAMP_NTZ or DATE"):
        kds.compare_over_time(sdf, time_column="x", freq="D")
    with pytest.raises(ValueError, match="`freq` 'fortnight'"):
        kds.compare_over_time(sdf, time_column="t", freq="fortnight")
    with pytest.raises(ValueError, match="`rows` chunks are not offered on Spark: a Spark DataFrame has no row order"):
        kds.compare_over_time(sdf, rows=1000)
    with pytest.raises(ValueError, match="`window` is required with reference='previous'"):
        kds.compare_over_time(sdf, time_column="t", freq="D", reference="previous")
    # A reference as long as the data: the same message as on pandas, before anything is fitted.
    frame, _ = events
    n_weeks = len(frame["t"].dt.to_period("W").dropna().unique())
    for too_long in ({"reference": "previous", "window": n_weeks}, {"reference_periods": n_weeks}):
        with pytest.raises(ValueError) as on_pandas, warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            kd.compare_over_time(frame, time_column="t", freq="W", **too_long)
        with pytest.raises(ValueError, match=f"^{re.escape(str(on_pandas.value))}$"):
            kds.compare_over_time(sdf, time_column="t", freq="W", **too_long)
        assert f"the data has {n_weeks} period" in str(on_pandas.value) or f"data ({n_weeks} periods)" in str(on_pandas.value)
    with pytest.raises(ValueError, match="`window` applies to reference='previous'"):
        kds.compare_over_time(sdf, time_column="t", freq="W", window=2)
    with pytest.raises(ValueError, match="`reference_periods` and `window` apply to reference='first' or 'previous'"):
        kds.compare_over_time(sdf, time_column="t", freq="W", reference=kd.profile(pd.DataFrame({"x": [1.0, 2.0]})), window=2)
    with pytest.raises(ValueError, match="`freq` 'bh' cannot cut periods"):
        kds.compare_over_time(sdf, time_column="t", freq="bh", reference=kd.profile(pd.DataFrame({"x": [1.0, 2.0]})))


@pytest.mark.parametrize(("freq", "window", "binning"), [("W", 2, {}), ("D", 7, {"max_categories": 3})])
def test_spark_rolling_reference_equals_pandas(spark, events, freq, window, binning):
    """A rolling reference on Spark: bins fitted on the whole table (exact edges), period counts
    from the one grouped aggregation, each window the sum of its periods' counts, as on pandas.
    With max_categories=3 the plan column pools values, whose per-period counts roll too."""
    from kl_drift import spark as kds

    frame, sdf = events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        want = kd.compare_over_time(frame, time_column="t", freq=freq, reference="previous", window=window, **binning)
        got = kds.compare_over_time(
            sdf, time_column="t", freq=freq, reference="previous", window=window, relative_error=0, profile_options=binning
        )
    assert (got.reference, got.window) == ("previous", window)
    assert [p.status for p in got.periods[: window + 1]] == ["reference"] * window + ["scored"]
    _same(got, want)
    if binning:
        # The pooled values' reference counts, summed over each window, are those of pandas.
        pooled = [(a.report["plan"].reference_counts, b.report["plan"].reference_counts)
                  for a, b in zip(got.periods, want.periods) if b.report is not None]  # fmt: skip
        assert all(x == y for x, y in pooled) and len(pooled) > 10


def test_spark_timeline_with_a_spark_frame_as_reference(spark, events, tmp_path):
    """A Spark DataFrame as the reference is profiled on the cluster (exact edges with
    relative_error=0), as a pandas frame is profiled by kd.compare_over_time."""
    from kl_drift import spark as kds

    frame, sdf = events
    ref = frame.drop(columns="t").iloc[:1500]
    ref.to_parquet(tmp_path / "ref.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        want = kd.compare_over_time(frame, time_column="t", freq="W", reference=ref)
        got = kds.compare_over_time(sdf, time_column="t", freq="W", reference=spark.read.parquet(str(tmp_path / "ref.parquet")),
                                    relative_error=0)  # fmt: skip
    assert got.reference == "profile"
    _same(got, want)
