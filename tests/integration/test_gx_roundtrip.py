"""A suite saved to JSON runs identically in a fresh interpreter that imports kl_drift.gx.

The same subprocess shows the hazard the helpers exist for: a suite GE loads before
``kl_drift.gx`` is imported silently loses its kl_drift expectations.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

FRESH_PROCESS = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    import kl_drift as kd

    lazy = "great_expectations" not in sys.modules and not hasattr(kd, "gx")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    with open(sys.argv[1], encoding="utf-8") as handle:
        raw = json.load(handle)
    early = gx.ExpectationSuite(**raw)  # loaded before kl_drift.gx is imported

    import kl_drift.gx

    try:
        kd.gx.check_suite(early)
        caught = None
    except kd.gx.DroppedExpectationsError as exc:
        caught = str(exc)

    suite = kd.gx.load_suite(sys.argv[1])
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("orders").add_dataframe_asset("batch").add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch_definition, suite=suite))
    result = validation.run(batch_parameters={"dataframe": pd.read_parquet(sys.argv[2])})
    print(json.dumps({
        "lazy": lazy,
        "early": len(early.expectations),
        "caught": caught,
        "results": [[r.expectation_config.type, r.success, r.result] for r in result.results],
    }))
    """
)


def run_here(suite: object, batch: pd.DataFrame) -> list:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("orders").add_dataframe_asset("batch").add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch_definition, suite=suite))
    result = validation.run(batch_parameters={"dataframe": batch})
    return [[r.expectation_config.type, r.success, r.result] for r in result.results]


def test_saved_suite_runs_identically_in_a_fresh_interpreter(tmp_path) -> None:
    rng = np.random.default_rng(21)
    reference = pd.DataFrame({"age": rng.normal(40, 12, 4000), "plan": rng.choice(["basic", "pro", "team"], 4000)})
    batch = pd.DataFrame({"age": rng.normal(44, 12, 1500), "plan": rng.choice(["basic", "pro", "max"], 1500)})
    prof = kd.profile(reference)
    suite = kd_gx.suite_from_profile(prof, name="orders", threshold="auto", alpha=0.01)
    suite.expectations.append(kd_gx.ExpectTableKlDriftToBeLessThan(reference=prof.to_dict(), drift_share=0.5))
    suite.meta["kl_drift"]["expectations"] += 1
    suite_path, batch_path = tmp_path / "orders_drift.json", tmp_path / "batch.parquet"
    suite_path.write_text(json.dumps(suite.to_json_dict(), allow_nan=False), encoding="utf-8")
    batch.to_parquet(batch_path)
    here = json.loads(json.dumps(run_here(suite, batch)))  # as the subprocess reports it

    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(suite_path), str(batch_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout.strip().splitlines()[-1])

    assert there["lazy"], "import kl_drift must not import great_expectations"
    assert there["early"] == 0  # GE dropped all three expectations without an error ...
    assert "lost 3 expectation(s)" in there["caught"]  # ... which check_suite reports
    assert [r[:2] for r in here] == [
        ["expect_column_kl_drift_to_be_less_than", False],
        ["expect_column_kl_drift_to_be_less_than", False],
        ["expect_table_kl_drift_to_be_less_than", False],
    ]
    for mine, theirs in zip(here, there["results"]):
        mine[2]["details"].pop("created_at", None)
        theirs[2]["details"].pop("created_at", None)
        assert mine == theirs
