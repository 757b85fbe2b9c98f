"""compare_over_time: periods, references, the same decisions as compare, reports, bad input."""

from __future__ import annotations

import json
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.timeline import UnassignedRowsWarning

HOSTILE = "<img src=x onerror=alert(1)>"


def events(n: int = 6000, *, seed: int = 0, shift_from: str | None = "2024-03-01", tz: str | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-01-01", periods=n, freq="30min", tz=tz)
    x = rng.normal(size=n)
    plan = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    if shift_from is not None:
        late = np.asarray(t >= pd.Timestamp(shift_from, tz=tz))
        x = x + 1.0 * late
        plan = np.where(late & (rng.random(n) < 0.3), "c", plan)
    return pd.DataFrame({"event_time": t, "x": x, "plan": plan})


def same_report(a: kd.DriftReport, b: kd.DriftReport) -> None:
    assert [c.column for c in a] == [c.column for c in b]
    assert a.drifted == b.drifted and a.n_current == b.n_current and a.n_reference == b.n_reference
    for x, y in zip(a, b):
        assert (x.status, x.current_counts, x.reference_counts, x.n_inf_current) == (
            y.status, y.current_counts, y.reference_counts, y.n_inf_current,
        )  # fmt: skip
        assert x.statistic == pytest.approx(y.statistic, abs=1e-12)
        assert x.pvalue == pytest.approx(y.pvalue, abs=1e-12) and x.pvalue_adjusted == pytest.approx(y.pvalue_adjusted, abs=1e-12)


def test_weekly_first_period_reference_equals_compare() -> None:
    df = events()
    tl = kd.compare_over_time(df, time_column="event_time", freq="W")
    assert tl.periods[0].status == "reference" and tl.reference == "first"
    assert tl.columns == ("x", "plan")  # the time column is not compared
    first = df[df.event_time < tl.periods[0].end]
    prof = kd.profile(first[["x", "plan"]])
    for p in tl.periods[1:]:
        rows = df[(df.event_time >= p.start) & (df.event_time < p.end)]
        assert p.n_rows == len(rows)
        if p.status == "scored":
            same_report(tl[p.label], kd.compare(prof, rows[["x", "plan"]]))
    # Drift starts with the week holding 2024-03-01.
    assert tl.drifted_periods[0] == "2024-02-26"
    assert tl.first_drift == {"x": "2024-02-26", "plan": tl.first_drift["plan"]}
    assert tl.first_drift["plan"] is not None and tl.first_drift["plan"] >= "2024-02-26"


def test_given_profile_and_frame_reference() -> None:
    df = events(n=2000, shift_from="2024-01-25")
    ref = df[df.event_time < "2024-01-08"]
    prof = kd.profile(ref[["x", "plan"]])
    by_profile = kd.compare_over_time(df, time_column="event_time", freq="D", reference=prof)
    by_frame = kd.compare_over_time(df, time_column="event_time", freq="D", reference=ref.drop(columns="event_time"))
    assert by_profile.reference == "profile" and all(p.status == "scored" for p in by_profile.periods[:-1])
    day = df[(df.event_time >= "2024-01-30") & (df.event_time < "2024-01-31")]
    same_report(by_profile["2024-01-30"], kd.compare(prof, day[["x", "plan"]]))
    same_report(by_frame["2024-01-30"], by_profile["2024-01-30"])
    # A time inside a period finds it; so does a Timestamp and a position.
    assert by_profile.period("2024-01-30 13:30").label == "2024-01-30"
    assert by_profile.period(pd.Timestamp("2024-01-30")) is by_profile.period("2024-01-30")
    assert by_profile.period(0).label == "2024-01-01"


def test_rolling_reference_is_the_sum_of_previous_periods() -> None:
    df = events()
    tl = kd.compare_over_time(df, time_column="event_time", freq="W", reference="previous", window=3)
    assert [p.status for p in tl.periods[:3]] == ["reference"] * 3
    bins = kd.profile(df[["x", "plan"]])  # bins of the whole table; counts of the window
    k = 8
    window = df[(df.event_time >= tl.periods[k - 3].start) & (df.event_time < tl.periods[k - 1].end)][["x", "plan"]]
    current = df[(df.event_time >= tl.periods[k].start) & (df.event_time < tl.periods[k].end)][["x", "plan"]]
    same_report(tl[k], kd.compare(bins.count(window), current))
    # Once the window holds only shifted weeks, the shift is the new normal.
    late = [p for p in tl.periods if p.start >= pd.Timestamp("2024-03-25")]
    assert late and not any(p.drifted for p in late)


def test_every_period_equals_compare_of_its_rows_in_every_mode() -> None:
    """The one counting pass, checked period by period against `compare` of each period's rows
    (fixed profile, first periods, rolling window), on columns with NaN, ±inf, missing text,
    values the reference never had and pooled categories, rows in shuffled time order."""
    rng = np.random.default_rng(5)
    n = 9000
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 3600, size=n), unit="s")
    x = rng.normal(size=n) + (t >= pd.Timestamp("2024-02-01"))
    x[rng.random(n) < 0.03] = np.nan
    x[rng.random(n) < 0.01] = np.inf
    words = np.array([f"w{i}" for i in range(80)])
    word = pd.Series(rng.choice(words, size=n, p=np.r_[np.full(40, 0.02), np.full(40, 0.005)]), dtype=object)
    word[rng.random(n) < 0.05] = None
    df = pd.DataFrame({"t": t, "x": x, "word": word, "k": rng.integers(0, 7, size=n)})
    df.loc[df.t >= pd.Timestamp("2024-02-20"), "word"] = "brand-new"
    cols = ["x", "word", "k"]
    fixed = kd.profile(df[cols].iloc[:2000], max_categories=20)

    def rows(p: kd.timeline.Period) -> pd.DataFrame:
        return df[(df.t >= p.start) & (df.t < p.end)][cols]

    for ref, extra in ((fixed, {}), ("first", {"reference_periods": 2}), ("previous", {"window": 3})):
        kwargs = {} if ref is fixed else {"max_categories": 20}
        tl = kd.compare_over_time(df, time_column="t", freq="W", reference=ref, **extra, **kwargs)
        bins = kd.profile(df[cols], max_categories=20)
        scored = [p for p in tl.periods if p.status == "scored"]
        assert len(scored) >= 5
        for k, p in enumerate(tl.periods):
            if p.status != "scored":
                continue
            if ref is fixed:
                want = kd.compare(fixed, rows(p))
            elif ref == "first":
                first = pd.concat([rows(q) for q in tl.periods[:2]])
                want = kd.compare(kd.profile(first, max_categories=20), rows(p))
            else:
                window = pd.concat([rows(q) for q in tl.periods[k - 3 : k]])
                want = kd.compare(bins.count(window), rows(p))
            same_report(p.report, want)
            assert [c.unseen_examples for c in p.report] == [c.unseen_examples for c in want]
            assert [c.explanations for c in p.report] == [c.explanations for c in want]


def test_reference_periods_and_row_chunks() -> None:
    df = events(shift_from=None)
    tl = kd.compare_over_time(df, time_column="event_time", freq="W", reference_periods=2)
    assert [p.status for p in tl.periods[:3]] == ["reference", "reference", "scored"]
    chunks = kd.compare_over_time(df.drop(columns="event_time"), rows=1000)
    assert [p.label for p in chunks.periods] == [f"{k}:{k + 1000}" for k in range(0, 6000, 1000)]
    same_report(chunks["2000:3000"], kd.compare(df.iloc[:1000, 1:], df.iloc[2000:3000, 1:]))


@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_monthly_periods_follow_the_columns_calendar(tz: str | None) -> None:
    df = events(tz=tz)
    tl = kd.compare_over_time(df, time_column="event_time", freq="MS")
    assert [p.label for p in tl.periods] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"]
    assert tl.periods[1].start == pd.Timestamp("2024-02-01", tz=tz)
    jan = df[df.event_time < pd.Timestamp("2024-02-01", tz=tz)]
    assert tl.periods[0].n_rows == len(jan)
    assert tl.drifted_periods == ["2024-03-01", "2024-04-01", "2024-05-01"]
    # "ME" names the same periods.
    assert [p.label for p in kd.compare_over_time(df, time_column="event_time", freq="ME").periods] == [p.label for p in tl.periods]


def test_iso_text_times_cut_like_datetimes() -> None:
    df = events(n=2000)
    text = df.assign(event_time=df.event_time.dt.strftime("%Y-%m-%dT%H:%M:%S"))
    a = kd.compare_over_time(df, time_column="event_time", freq="D")
    b = kd.compare_over_time(text, time_column="event_time", freq="D")
    assert [(p.label, p.n_rows, p.status) for p in a.periods] == [(p.label, p.n_rows, p.status) for p in b.periods]
    zoned = df.assign(event_time=df.event_time.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert kd.compare_over_time(zoned, time_column="event_time", freq="D").periods[0].start.tzinfo is not None


def test_gaps_small_samples_and_rows_without_time() -> None:
    df = events(n=2000, shift_from=None)
    df = df[(df.event_time < "2024-01-10") | (df.event_time >= "2024-01-13")].copy()
    df.loc[df.index[5], "event_time"] = pd.NaT
    df = pd.concat([df, pd.DataFrame({"event_time": [pd.Timestamp("2024-02-20")], "x": [0.0], "plan": ["a"]})])
    with pytest.warns(UnassignedRowsWarning, match="1 rows have no time in column 'event_time'"):
        tl = kd.compare_over_time(df, time_column="event_time", freq="D", min_rows=10)
    status = {p.label: p.status for p in tl.periods}
    assert status["2024-01-10"] == status["2024-01-12"] == "empty"
    assert status["2024-02-20"] == "small_sample" and tl.n_unassigned == 1
    with pytest.raises(KeyError, match="fewer than min_rows=10"):
        tl["2024-02-20"]
    with pytest.raises(KeyError, match="has no rows"):
        tl["2024-01-10"]
    with pytest.raises(KeyError, match="no period '1999-01-01'"):
        tl["1999-01-01"]
    frame = tl.to_frame()
    assert len(frame) == 2 * len(tl.periods)
    assert set(frame.loc[frame.period == "2024-01-10", "status"]) == {"empty"}
    assert frame.loc[frame.status == "empty", "statistic"].isna().all()


def test_decisions_are_compares_options() -> None:
    df = events()
    tl = kd.compare_over_time(df, rows=1500, time_column=None, threshold=0.05, correction="bonferroni", bins=5)
    assert tl.threshold_mode == "fixed" and tl.correction == "bonferroni"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = kd.compare(df.iloc[:1500], df.iloc[4500:], threshold=0.05, correction="bonferroni", bins=5)
    same_report(tl[3], expected)


def test_to_frame_json_markdown_html(tmp_path, strict_loads) -> None:
    df = events().rename(columns={"x": HOSTILE})
    tl = kd.compare_over_time(df, time_column="event_time", freq="W")
    frame = tl.to_frame()
    assert list(frame.columns[:4]) == ["period", "start", "n_rows", "column"]
    scored = frame[frame.status != "reference"]
    assert scored.statistic.notna().all() and frame.drifted.dtype == bool
    data = strict_loads(tl.to_json(tmp_path / "tl.json"))
    assert json.loads((tmp_path / "tl.json").read_text()) == data
    assert data["drifted_periods"] == tl.drifted_periods and data["periods"][1]["report"]["columns"][0]["column"] == HOSTILE
    md = tl.to_markdown()
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and md.count("\n| 2024-") == len(tl.periods)
    page = tl.to_html(tmp_path / "tl.html")
    assert (tmp_path / "tl.html").read_text() == page

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            self.tags.append(tag)

    parsed = Tags()
    parsed.feed(page)
    assert "img" not in parsed.tags and "script" not in parsed.tags
    assert parsed.tags.count("svg") == 2  # one trend chart per column
    assert "Content-Security-Policy" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "First drifted period" in page and tl.first_drift[HOSTILE] in page


def test_accessor_delegates() -> None:
    df = events(n=2000)
    a = df.kl_drift.over_time("event_time", freq="D")
    b = kd.compare_over_time(df, time_column="event_time", freq="D")
    assert a.to_frame().equals(b.to_frame())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"time_column": "when", "freq": "D"}, kd.ColumnError, "column 'when'.*not a column of the data"),
        ({"time_column": "plan", "freq": "D"}, kd.ColumnError, "column 'plan'.*cannot be read as times: 'a'"),
        ({"time_column": "x", "freq": "D"}, kd.ColumnError, "column 'x'.*must hold datetimes or ISO 8601 text"),
        ({"time_column": "event_time", "freq": "fortnight"}, ValueError, "`freq` 'fortnight' is not a pandas frequency"),
        ({"time_column": "event_time"}, ValueError, "`freq` is required with `time_column`"),
        ({}, ValueError, "give either `time_column`"),
        ({"rows": 0}, ValueError, "`rows` must be a positive integer"),
        ({"time_column": "event_time", "freq": "W", "reference": "previous"}, ValueError, "`window` is required"),
        ({"time_column": "event_time", "freq": "W", "reference": "previous", "window": 50}, ValueError,
         r"`window` \(50 periods\) is not shorter than the data \(18 periods\)"),
        ({"time_column": "event_time", "freq": "W", "reference_periods": 18}, ValueError,
         r"`reference_periods` \(18\) leaves no period"),
        ({"time_column": "event_time", "freq": "W", "reference": "last"}, ValueError, "`reference` must be"),
        ({"time_column": "event_time", "freq": "W", "alpha": 2}, ValueError, r"`alpha` must be in \(0, 1\)"),
        ({"time_column": "event_time", "freq": "W", "reference": pd.DataFrame({"x": []})}, kd.EmptyDataError,
         "the reference data has no rows"),
    ],
)  # fmt: skip
def test_bad_input_names_the_column_or_option(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        kd.compare_over_time(events(), **kwargs)


def test_all_missing_time_column_is_named() -> None:
    df = events(n=100).assign(event_time=pd.NaT)
    with pytest.raises(kd.ColumnError, match="column 'event_time'.*every value is missing"):
        kd.compare_over_time(df, time_column="event_time", freq="D")


@pytest.mark.parametrize("reference", ["first", "profile", "previous"])
def test_parquet_stream_equals_the_frame(tmp_path, reference: str) -> None:
    from kl_drift.timeline import compare_over_time_dataset

    df = events(n=3000)
    df.iloc[:1700].to_parquet(tmp_path / "a.parquet")
    df.iloc[1700:].to_parquet(tmp_path / "b.parquet")
    ref = kd.profile(df.iloc[:500, 1:]) if reference == "profile" else reference
    window = 2 if reference == "previous" else None
    whole = kd.compare_over_time(df, time_column="event_time", freq="W", reference=ref, window=window)
    stream = compare_over_time_dataset(
        tmp_path, time_column="event_time", freq="W", reference=ref, window=window, batch_size=257
    )
    assert stream.reference == whole.reference and stream.window == whole.window
    assert [(p.label, p.n_rows, p.status) for p in stream.periods] == [(p.label, p.n_rows, p.status) for p in whole.periods]
    for a, b in zip(stream.periods, whole.periods):
        if a.report is not None:
            assert b.report is not None
            same_report(a.report, b.report)
    chunks = compare_over_time_dataset(tmp_path, rows=1000, batch_size=300, columns=["x", "plan"])
    assert [p.label for p in chunks.periods] == ["0:1000", "1000:2000", "2000:3000"]
    same_report(chunks[2], kd.compare_over_time(df.drop(columns="event_time"), rows=1000)[2])


def test_parquet_stream_bad_input(tmp_path) -> None:
    from kl_drift.timeline import compare_over_time_dataset

    events(n=500).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(kd.ColumnError, match="column 'when'"):
        compare_over_time_dataset(tmp_path, time_column="when", freq="D")
    with pytest.raises(ValueError, match="`window` is required"):
        compare_over_time_dataset(tmp_path, time_column="event_time", freq="D", reference="previous")
    with pytest.raises(ValueError, match=r"`window` \(40 periods\) is not shorter"):
        compare_over_time_dataset(tmp_path, time_column="event_time", freq="D", reference="previous", window=40)
    with pytest.raises(ValueError, match="`window` applies to reference='previous'"):
        compare_over_time_dataset(tmp_path, time_column="event_time", freq="D", window=2)
    with pytest.raises(ValueError, match="`freq` 'fortnight'"):
        compare_over_time_dataset(tmp_path, time_column="event_time", freq="fortnight")


@pytest.mark.parametrize("freq, n", [("D", 1), ("3D", 3), ("h", None), ("15min", None)])
@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_fixed_length_periods_are_pandas_periods(freq: str, n: int | None, tz: str | None) -> None:
    """Day periods numbered by one integer division are pandas' own period ordinals (local
    wall clock, across a DST change, before 1970, with missing times)."""
    from kl_drift.timeline import _absolute_codes

    rng = np.random.default_rng(2)
    stamps = pd.Timestamp("1969-12-25") + pd.to_timedelta(rng.integers(0, 400 * 86_400, 3000), unit="s")
    # Period edges exactly: midnights, and one nanosecond before them.
    midnights = pd.date_range("1969-12-20", "2025-03-01", freq="37D")
    stamps = stamps.append(midnights).append(midnights - pd.Timedelta(1, "ns"))
    naive = pd.Series(stamps)
    naive[::97] = pd.NaT
    times = naive.dt.tz_localize(tz, nonexistent="shift_forward", ambiguous="NaT") if tz else naive
    assert times.isna().sum() >= len(times) // 97
    codes, valid, _ = _absolute_codes(times, freq)
    local = times.dt.tz_localize(None) if tz else times
    assert np.array_equal(valid, local.notna().to_numpy())
    if n is None:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)).value
        want = local[valid].to_numpy(dtype="datetime64[ns]").view(np.int64) // step
    else:
        want = local[valid].dt.to_period("D").array.asi8 // n
    assert np.array_equal(codes[valid], want)


def test_rolling_windows_are_the_merged_period_profiles() -> None:
    """A window's reference (running sums of counts, ±inf and pooled value counts; unseen lists
    merged in order) equals merging its period profiles one by one with ReferenceProfile.merge,
    for every window: empty periods, unseen and pooled values, ±inf, an all-missing column."""
    from kl_drift.timeline import _counted_profile, _Windows

    rng = np.random.default_rng(11)
    n = 3000
    fitted = pd.DataFrame({
        "x": rng.normal(size=n),
        "city": rng.choice([f"c{i}" for i in range(40)], size=n),
        "empty": np.full(n, np.nan),
    })  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)  # the all-missing column
        prof = kd.profile(fitted, max_categories=5)
    current = pd.DataFrame({
        "x": np.r_[rng.normal(size=n - 3), np.inf, -np.inf, np.nan],
        "city": rng.choice([f"c{i}" for i in range(50)], size=n),  # c40..c49 are unseen
        "empty": np.full(n, np.nan),
    })  # fmt: skip
    codes = rng.integers(0, 12, size=n)
    codes[np.isin(codes, [3, 7, 8])] = -1  # empty periods
    from kl_drift._engines.grouped import count_groups

    grouped = count_groups(prof, current, codes, 12, pooled=True)
    counted = [_counted_profile(prof, t, p) if t.n_rows else None for t, p in zip(grouped.tables, grouped.pooled)]
    assert any(c is not None and c["city"].unseen for c in counted)
    assert sum(prof["city"].pooled.other_counts) > 0
    windows = _Windows(counted)
    for start in range(12):
        for stop in range(start + 1, 13):
            parts = [c for c in counted[start:stop] if c is not None]
            want = None
            for part in parts:
                want = part if want is None else want.merge(part)
            assert windows.sum(start, stop) == want, (start, stop)
