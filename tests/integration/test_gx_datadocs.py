"""Data Docs built by a real checkpoint show what each expectation promises and what moved."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.checkpoint import UpdateDataDocsAction  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402


def page_text(path) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", html.unescape(text))


def test_validation_page_shows_the_promise_and_the_top_bins(tmp_path) -> None:
    rng = np.random.default_rng(3)
    plans = ["basic", "pro", "<b>max</b>"]  # a category that looks like markup
    reference = pd.DataFrame({"age": rng.normal(40, 12, 4000), "plan": rng.choice(plans, 4000, p=[0.5, 0.3, 0.2])})
    batch = pd.DataFrame({"age": rng.normal(48, 12, 2000), "plan": rng.choice(plans, 2000, p=[0.3, 0.2, 0.5])})
    prof = kd.profile(reference)
    suite = kd_gx.suite_from_profile(prof, name="orders_drift", threshold=0.1)
    suite.expectations.append(kd_gx.ExpectTableKlDriftToBeLessThan(reference=prof.to_dict(), threshold=0.1))

    context = gx.get_context(mode="file", project_root_dir=tmp_path)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("orders").add_dataframe_asset("daily").add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(suite)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="orders_drift", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name="orders_drift", validation_definitions=[validation], actions=[UpdateDataDocsAction(name="docs")])
    )
    result = checkpoint.run(batch_parameters={"dataframe": batch})
    assert not result.success

    (page,) = (tmp_path / "gx" / "uncommitted" / "data_docs").rglob("validations/**/*.html")
    raw, text = page.read_text(encoding="utf-8"), page_text(page)
    age = kd.compare(prof, batch, columns=["age"], threshold=0.1)["age"]
    top = age.top_contributions(1)[0]
    assert "column age: KL drift from the reference must be less than 0.1" in text
    assert "column plan: KL drift from the reference must be less than 0.1" in text
    assert "every column (age, plan): KL drift from the reference must be less than 0.1" in text
    assert "Top contributing bins" in text
    assert f"{top['bin']} {100 * top['reference_proportion']:.1f}% {100 * top['current_proportion']:.1f}%" in text
    assert f"{age.statistic:.4g} (drift, p-value" in text
    assert "2 of 2 columns drifted: age, plan" in text
    # The explanations are a list, one sentence per item, not inline spans run together.
    first = html.escape(age.explanations[0], quote=False)
    items = re.findall(r"<li[^>]*>(.*?)</li>", raw, flags=re.S)
    assert any(first in item and item.count("rose from") + item.count("fell from") <= 1 for item in items), items[:5]
    plan = kd.compare(prof, batch, columns=["plan"], threshold=0.1)["plan"]
    assert plan.top_contributions(1)[0]["bin"] == "<b>max</b>"
    assert "&lt;b&gt;max&lt;/b&gt;" in raw and "<b>max</b>" not in raw  # data is escaped, not markup
