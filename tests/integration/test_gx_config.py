"""Configuring the kl_drift expectations: registration, validation of parameters, suites."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.compatibility.pydantic import ValidationError  # noqa: E402
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: E402
from great_expectations.expectations.registry import get_expectation_impl, get_renderer_impl  # noqa: E402
from great_expectations.render import LegacyRendererType  # noqa: E402

ExpectColumn = kd_gx.ExpectColumnKlDriftToBeLessThan
ExpectTable = kd_gx.ExpectTableKlDriftToBeLessThan


@pytest.fixture(scope="module")
def reference() -> kd.ReferenceProfile:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 12, 1000), "plan": rng.choice(["basic", "pro"], 1000)})
    return kd.profile(frame)


def test_expectations_register_under_names_distinct_from_the_builtin() -> None:
    assert get_expectation_impl("expect_column_kl_drift_to_be_less_than") is ExpectColumn
    assert get_expectation_impl("expect_table_kl_drift_to_be_less_than") is ExpectTable
    builtin = get_expectation_impl("expect_column_kl_divergence_to_be_less_than")
    assert builtin.__module__.startswith("great_expectations.")
    assert kd_gx.EXPECTATION_TYPES == ("expect_column_kl_drift_to_be_less_than", "expect_table_kl_drift_to_be_less_than")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(counts=d["counts"][:-1]), "counts for"),
        (lambda d: d.pop("bins"), "field bins"),
        (lambda d: d["bins"].update(edges=[3.0, 1.0]), "strictly increasing"),
        (lambda d: d.update(kind="skipped", bins=None, counts=[], reason="mixed types"), "was skipped when profiled"),
    ],
)
def test_a_bad_column_reference_is_a_validation_error(reference: kd.ReferenceProfile, change, message: str) -> None:
    bad = json.loads(json.dumps(reference["age"].to_dict()))
    change(bad)
    with pytest.raises(ValidationError, match=message) as caught:
        ExpectColumn(column="age", reference=bad)
    assert caught.value.errors()[0]["loc"] == ("reference",)


def test_an_edited_table_reference_is_a_validation_error(reference: kd.ReferenceProfile) -> None:
    edited = reference.to_dict()
    edited["columns"][0]["counts"][0] += 1
    with pytest.raises(ValidationError, match="checksum mismatch"):
        ExpectTable(reference=edited)
    with pytest.raises(ValidationError, match="expected 'kl_drift.profile'"):
        ExpectTable(reference=reference["age"].to_dict())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"smoothing": 0.0}, "positive finite number"),
        ({"threshold": -1.0}, "non-negative"),
        ({"threshold": "sometimes"}, "threshold"),
        ({"threshold": 0.1, "warn_threshold": 0.2}, "warn threshold.*exceeds.*drift threshold"),
        ({"direction": "kl"}, "direction"),
        ({"base": 10.0}, "bits"),
        ({"alpha": 1.5}, r"\(0, 1\)"),
        ({"min_effect": 0.01}, "only with threshold='auto'"),
        ({"pvalue_method": "exact"}, "'asymptotic'"),
        ({"n_permutations": 0}, "positive integer"),
    ],
)
def test_invalid_options_are_rejected_when_configured(reference: kd.ReferenceProfile, options: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ExpectColumn(column="age", reference=reference["age"].to_dict(), **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"drift_share": 0.0}, r"\(0, 1\]"),
        ({"correction": "fdr"}, "'holm'"),
        ({"columns": ["age", "income"]}, "'income', which is not in the reference profile"),
        ({"columns": ["age"], "thresholds": {"plan": 0.2}}, "'plan', which is not a checked column"),
    ],
)
def test_invalid_table_options_are_rejected(reference: kd.ReferenceProfile, options: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ExpectTable(reference=reference.to_dict(), **options)


def test_parameters_survive_a_json_round_trip(reference: kd.ReferenceProfile) -> None:
    for expectation in (
        ExpectColumn(column="age", reference=reference["age"].to_dict(), threshold="auto", alpha=0.01, base=2.0),
        ExpectTable(reference=reference.to_dict(), thresholds={"age": 0.2}, drift_share=0.5, correction="bh"),
    ):
        text = json.dumps(expectation.configuration.to_json_dict(), allow_nan=False)
        rebuilt = ExpectationConfiguration(**json.loads(text)).to_domain_obj()
        assert type(rebuilt) is type(expectation)
        assert rebuilt == expectation


def test_prescriptive_renderers_state_the_promise(reference: kd.ReferenceProfile) -> None:
    column = ExpectColumn(column="age", reference=reference["age"].to_dict(), threshold=0.1)
    table = ExpectTable(reference=reference.to_dict(), threshold=0.2, base=2.0)
    render = get_renderer_impl(object_name=column.expectation_type, renderer_type=LegacyRendererType.PRESCRIPTIVE)[1]
    (block,) = render(configuration=column.configuration)
    assert block.string_template["params"]["text"] == "column age: KL drift from the reference must be less than 0.1"
    render = get_renderer_impl(object_name=table.expectation_type, renderer_type=LegacyRendererType.PRESCRIPTIVE)[1]
    (block,) = render(configuration=table.configuration)
    assert block.string_template["params"]["text"] == (
        "every column (age, plan): KL drift from the reference must be less than 0.2 bits"
    )
    column.render()  # the atomic renderer GX Cloud shows
    assert column.rendered_content[0].value.params["text"]["value"] == (
        "column age: KL drift from the reference must be less than 0.1"
    )


def test_suite_from_profile_builds_one_expectation_per_column(reference: kd.ReferenceProfile) -> None:
    suite = kd_gx.suite_from_profile(reference, name="orders", threshold=0.2, thresholds={"plan": 0.3}, direction="symmetric")
    assert [(e.column, e.threshold, e.direction) for e in suite.expectations] == [
        ("age", 0.2, "symmetric"),
        ("plan", 0.3, "symmetric"),
    ]
    assert all(e.reference == reference[e.column].to_dict() for e in suite.expectations)
    kd_gx.check_suite(suite)


def test_suite_from_profile_at_table_level(reference: kd.ReferenceProfile) -> None:
    suite = kd_gx.suite_from_profile(reference, name="orders", level="table", drift_share=0.5, columns=["plan"])
    (table,) = suite.expectations
    assert isinstance(table, ExpectTable)
    assert (table.columns, table.drift_share, table.reference) == (["plan"], 0.5, reference.to_dict())


def test_suite_from_profile_leaves_out_skipped_columns() -> None:
    frame = pd.DataFrame({"age": np.arange(100.0), "mixed": [1, "a"] * 50})
    with pytest.warns(kd.SkippedColumnWarning, match="mixed"):
        prof = kd.profile(frame)
    suite = kd_gx.suite_from_profile(prof, name="orders")
    assert [e.column for e in suite.expectations] == ["age"]
    assert suite.meta["kl_drift"] == {"expectations": 1, "skipped_columns": ["mixed"]}
    with pytest.raises(kd.ColumnError, match="was skipped when profiled"):
        kd_gx.suite_from_profile(prof, name="orders", columns=["mixed"])


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"columns": ["income"]}, kd.ColumnError, "not in the profile"),
        ({"thresholds": {"income": 0.1}}, kd.ColumnError, "not a checked column"),
        ({"drift_share": 0.5}, ValueError, "level=.table."),
        ({"level": "row"}, ValueError, "'column' or 'table'"),
    ],
)
def test_suite_from_profile_rejects_bad_options(reference: kd.ReferenceProfile, options: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        kd_gx.suite_from_profile(reference, name="orders", **options)


def test_load_suite_reads_a_saved_suite(reference: kd.ReferenceProfile, tmp_path) -> None:
    suite = kd_gx.suite_from_profile(reference, name="orders", threshold=0.2)
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(suite.to_json_dict(), allow_nan=False))
    loaded = kd_gx.load_suite(path)
    assert loaded.expectations == suite.expectations
    assert loaded.meta["kl_drift"] == suite.meta["kl_drift"]


def test_load_suite_names_expectations_ge_dropped(reference: kd.ReferenceProfile) -> None:
    saved = kd_gx.suite_from_profile(reference, name="orders").to_json_dict()
    saved["expectations"][1]["type"] = "expect_column_values_from_an_unimported_plugin"
    # GE itself only logs the problem and carries on with one expectation fewer.
    assert len(gx.ExpectationSuite(**json.loads(json.dumps(saved))).expectations) == 1
    with pytest.raises(kd_gx.DroppedExpectationsError, match="expect_column_values_from_an_unimported_plugin") as caught:
        kd_gx.load_suite(saved)
    assert caught.value.dropped == {"expect_column_values_from_an_unimported_plugin": 1}
    assert "import kl_drift.gx" in str(caught.value)


def test_check_suite_counts_kl_drift_expectations(reference: kd.ReferenceProfile) -> None:
    suite = kd_gx.suite_from_profile(reference, name="orders")
    suite.expectations.pop()
    with pytest.raises(kd_gx.DroppedExpectationsError, match="lost 1 expectation"):
        kd_gx.check_suite(suite)
    kd_gx.check_suite(suite, expected=1)
    bare = gx.ExpectationSuite(name="bare", expectations=[ExpectTable(reference=reference.to_dict())])
    with pytest.raises(ValueError, match="pass expected="):
        kd_gx.check_suite(bare)
    with pytest.raises(ValueError, match="holds 1 kl_drift expectations, 0 expected"):
        kd_gx.check_suite(bare, expected=0)
