"""The kl_drift expectations run by real Great Expectations on pandas batches.

One ephemeral context per module (GE is slow to set up); every test adds its own suite and
validation definition to it.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import rel_entr

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.row_conditions import Column  # noqa: E402

ExpectColumn = kd_gx.ExpectColumnKlDriftToBeLessThan
ExpectTable = kd_gx.ExpectTableKlDriftToBeLessThan
# ColumnDrift fields a GE result adds to the core's ``to_dict()``.
ADDED_DETAILS = {"top_contributions", "warnings"}


def orders(n: int, seed: int, *, age_shift: float = 0.0, new_plan: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plans, weights = ["basic", "pro", "team"], [0.6, 0.3, 0.1]
    if new_plan:
        plans, weights = [*plans, "enterprise"], [0.45, 0.25, 0.1, 0.2]
    return pd.DataFrame({"age": rng.normal(40 + age_shift, 12, n), "plan": rng.choice(plans, n, p=weights)})


@pytest.fixture(scope="module")
def reference() -> kd.ReferenceProfile:
    return kd.profile(orders(5000, seed=1))


class Runner:
    """A pandas data source in one ephemeral context; runs suites on DataFrames."""

    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("orders").add_dataframe_asset("batch")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._names = (f"run_{i}" for i in itertools.count())

    def _definition(self, expectations: list) -> object:
        name = next(self._names)
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        return self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self.batch_definition, suite=suite)
        )

    def validate(self, expectations: list, frame: pd.DataFrame) -> object:
        return self._definition(expectations).run(batch_parameters={"dataframe": frame})

    def one(self, expectation: object, frame: pd.DataFrame) -> object:
        return self.validate([expectation], frame).results[0]

    def checkpoint(self, suite: object, frame: pd.DataFrame) -> object:
        name = next(self._names)
        suite = self.context.suites.add(suite)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=self.batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=[definition]))
        return checkpoint.run(batch_parameters={"dataframe": frame})


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


def results_by_column(checkpoint_result: object) -> dict[str, object]:
    (validation,) = checkpoint_result.run_results.values()
    return {r.expectation_config.kwargs.get("column", "<table>"): r for r in validation.results}


def suite_with_table(reference: kd.ReferenceProfile, name: str) -> object:
    suite = kd_gx.suite_from_profile(reference, name=name, threshold=0.1)
    suite.expectations.append(ExpectTable(reference=reference.to_dict(), threshold=0.1))
    return suite


def test_checkpoint_passes_on_data_from_the_reference_distribution(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(2000, seed=2)
    result = runner.checkpoint(suite_with_table(reference, "orders_same"), batch)
    assert result.success
    by_column = results_by_column(result)
    for name in ("age", "plan"):
        # One column per expectation: p-values are adjusted over that column alone.
        core = kd.compare(reference, batch, columns=[name], threshold=0.1)[name]
        details = {k: v for k, v in by_column[name].result["details"].items() if k not in ADDED_DETAILS}
        assert details == core.to_dict()
        assert by_column[name].result["observed_value"] == core.statistic
    assert by_column["<table>"].result["details"]["drifted_columns"] == []


def test_checkpoint_fails_on_drifted_data_and_names_the_bins(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(2000, seed=3, age_shift=8, new_plan=True)
    result = runner.checkpoint(suite_with_table(reference, "orders_drifted"), batch)
    assert not result.success
    by_column = results_by_column(result)
    assert not by_column["age"].success and not by_column["plan"].success
    assert by_column["<table>"].result["details"]["drifted_columns"] == ["age", "plan"]
    assert by_column["plan"].result["details"]["top_contributions"][0]["bin"] == "(unseen)"
    # Age moved up: the top bin is the highest one inside the reference range (up to its
    # maximum); beyond it only the open tail (max, +inf), which the reference never filled.
    labels = kd.compare(reference, batch, columns=["age"], threshold=0.1)["age"].bin_labels
    assert labels[-2].endswith("+inf)") and labels[-1] == "(missing)"
    assert by_column["age"].result["details"]["top_contributions"][0]["bin"] == labels[-3]
    assert by_column["<table>"].result["observed_value"] == max(
        by_column[c].result["observed_value"] for c in ("age", "plan")
    )


def test_score_is_the_smoothed_kl_of_the_reported_counts(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(2000, seed=4, age_shift=3)
    result = runner.one(ExpectColumn(column="age", reference=reference["age"].to_dict(), threshold=0.1), batch)
    details = result.result["details"]
    ref = np.asarray(details["reference_counts"], dtype=float)
    cur = np.asarray(details["current_counts"], dtype=float)
    assert cur.sum() == len(batch) and ref.sum() == reference.n_rows
    keep = (ref + cur) > 0  # bins empty on both sides carry no evidence
    p = (cur[keep] + 0.5) / (cur[keep].sum() + 0.5 * keep.sum())
    q = (ref[keep] + 0.5) / (ref[keep].sum() + 0.5 * keep.sum())
    assert result.result["observed_value"] == pytest.approx(rel_entr(p, q).sum(), rel=1e-12)
    assert sum(details["contributions"]) == pytest.approx(result.result["observed_value"], rel=1e-12)
    assert details["current_proportions"] == pytest.approx((cur / cur.sum()).tolist())


def test_missing_column_fails_with_a_clear_message(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(500, seed=5).drop(columns="age")
    column, table = runner.validate(
        [ExpectColumn(column="age", reference=reference["age"].to_dict()), ExpectTable(reference=reference.to_dict())],
        batch,
    ).results
    assert not column.success and not column.exception_info["raised_exception"]
    assert column.result["observed_value"] is None
    assert column.result["details"]["status"] == "missing_column"
    assert column.result["details"]["reason"] == "column 'age' is not in the batch (batch columns: 'plan')"
    assert not table.success
    assert table.result["details"]["drifted_columns"] == ["age"]


def test_a_column_of_another_type_counts_as_drift(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(500, seed=6).assign(age=lambda f: f["age"].round().astype(int).astype(str))
    result = runner.one(ExpectColumn(column="age", reference=reference["age"].to_dict()), batch)
    assert not result.success
    assert result.result["details"]["status"] == "type_mismatch"
    assert "numeric" in result.result["details"]["reason"]


@pytest.mark.parametrize("drift_share", [0.5, 0.75])
def test_a_mismatched_column_counts_toward_the_dataset_rule(
    runner: Runner, reference: kd.ReferenceProfile, drift_share: float
) -> None:
    batch = orders(500, seed=6).assign(age=lambda f: f["age"].round().astype(int).astype(str))
    result = runner.one(ExpectTable(reference=reference.to_dict(), drift_share=drift_share), batch)
    core = kd.compare(reference, batch, drift_share=drift_share)  # the core's own pandas path
    assert core["age"].status == "type_mismatch"
    assert result.success == (not core.drifted)
    assert result.result["details"]["drifted_columns"] == core.drifted_columns == ["age"]
    assert result.result["details"]["columns"][0]["reason"] == core["age"].reason


@pytest.mark.parametrize(
    "options",
    [
        {"direction": "symmetric"},
        {"direction": "js", "base": 2},
        {"direction": "reference||current", "smoothing": 1.0, "threshold": 0.02, "warn_threshold": 0.005},
        {"threshold": "auto", "alpha": 0.01, "min_effect": 0.005},
        {"pvalue_method": "permutation", "n_permutations": 200, "random_state": 7},
    ],
)
def test_options_mirror_the_core(runner: Runner, reference: kd.ReferenceProfile, options: dict) -> None:
    batch = orders(1500, seed=7, age_shift=2)
    result = runner.one(ExpectColumn(column="age", reference=reference["age"].to_dict(), **options), batch)
    # The expectations keep an explicit fixed level by default (threshold=None: 0.1 nats), unlike
    # kd.compare's default "auto"; the core is called with the same default.
    core = kd.compare(reference, batch, columns=["age"], **{"threshold": None, **options})["age"]
    details = result.result["details"]
    assert (details["status"], details["statistic"], details["pvalue"]) == (core.status, core.statistic, core.pvalue)
    assert (details["threshold"], details["warn_threshold"]) == (core.threshold, core.warn_threshold)
    assert result.success == (not core.drifted)


@pytest.mark.parametrize("drift_share", [None, 0.5, 0.75])
def test_table_expectation_applies_the_dataset_rule(runner: Runner, reference: kd.ReferenceProfile, drift_share: float | None) -> None:
    batch = orders(2000, seed=8, age_shift=8)  # age drifts, plan does not
    result = runner.one(ExpectTable(reference=reference.to_dict(), threshold=0.1, drift_share=drift_share), batch)
    core = kd.compare(reference, batch, threshold=0.1, drift_share=drift_share)
    assert core.drifted_columns == ["age"]
    assert result.success == (not core.drifted)
    assert result.result["details"]["drifted_columns"] == ["age"]
    assert result.result["details"]["drift_share"] == drift_share


def test_table_expectation_checks_only_the_named_columns_with_their_thresholds(
    runner: Runner, reference: kd.ReferenceProfile
) -> None:
    batch = orders(2000, seed=9, age_shift=8, new_plan=True)
    expectation = ExpectTable(reference=reference.to_dict(), columns=["plan"], thresholds={"plan": 5.0})
    result = runner.one(expectation, batch)
    assert result.success  # a warning does not fail the expectation
    (plan,) = result.result["details"]["columns"]
    assert (plan["column"], plan["threshold"], plan["status"]) == ("plan", 5.0, "warn")


def test_results_are_strict_json(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(800, seed=10, age_shift=20, new_plan=True)
    expectations = [
        ExpectColumn(column="age", reference=reference["age"].to_dict(), smoothing=1e-9),
        ExpectColumn(column="gone", reference=reference["plan"].to_dict()),
        ExpectTable(reference=reference.to_dict()),
    ]
    validation = runner.validate(expectations, batch)
    text = json.dumps(validation.to_json_dict(), allow_nan=False)
    assert "Infinity" not in text and "NaN" not in text
    age = validation.results[0].result
    assert math.isfinite(age["observed_value"]) and age["observed_value"] > 1
    for key in ("bin_labels", "reference_proportions", "current_proportions", "contributions", "pvalue",
                "threshold", "direction", "n_reference", "n_current"):
        assert key in age["details"], key


def test_an_empty_batch_fails_naming_the_problem(runner: Runner, reference: kd.ReferenceProfile) -> None:
    result = runner.one(ExpectColumn(column="age", reference=reference["age"].to_dict()), orders(10, seed=11).iloc[:0])
    assert not result.success
    assert result.exception_info["raised_exception"]
    assert "the current data has no rows" in result.exception_info["exception_message"]


def test_degenerate_data_is_reported_in_the_details_not_raised(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(300, seed=12).assign(age=np.nan)
    result = runner.one(ExpectColumn(column="age", reference=reference["age"].to_dict()), batch)
    assert not result.exception_info["raised_exception"]
    assert not result.success  # the missing rate went from 0% to 100%
    assert any("all 300 current values are missing" in note for note in result.result["details"]["warnings"])


def test_a_renamed_column_is_checked_against_its_old_reference(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(1000, seed=13, age_shift=1).rename(columns={"age": "customer_age"})
    result = runner.one(ExpectColumn(column="customer_age", reference=reference["age"].to_dict()), batch)
    core = kd.compare(reference, batch.rename(columns={"customer_age": "age"}), columns=["age"])["age"]
    assert result.result["details"]["column"] == "customer_age"
    assert result.result["observed_value"] == core.statistic


def test_row_condition_selects_the_rows_counted(runner: Runner, reference: kd.ReferenceProfile) -> None:
    batch = orders(3000, seed=14)
    expectation = ExpectColumn(column="age", reference=reference["age"].to_dict(), row_condition=Column("plan") == "pro")
    result = runner.one(expectation, batch)
    subset = batch[batch["plan"] == "pro"]
    assert result.result["details"]["n_current"] == len(subset)
    assert result.result["observed_value"] == kd.compare(reference, subset, columns=["age"])["age"].statistic


def test_unseen_values_are_tested_as_categories_like_the_core(runner: Runner) -> None:
    """Several values the reference never had: the p-value splits them, as kd.compare does."""
    rng = np.random.default_rng(17)
    reference = kd.profile(pd.DataFrame({"size": rng.choice(["S", "M", "L"], 60).astype(object)}))
    batch = pd.DataFrame({"size": rng.choice(["S", "M", "L", "XS", "XL", "XXL"], 40).astype(object)})
    result = runner.one(ExpectColumn(column="size", reference=reference["size"].to_dict()), batch)
    core = kd.compare(reference, batch)["size"]
    details = result.result["details"]
    assert len(core.unseen_examples) == 3
    assert (details["pvalue"], details["pvalue_method"]) == (core.pvalue, core.pvalue_method)
    assert details["unseen_examples"] == [list(pair) for pair in core.unseen_examples]
