"""docs/great_expectations.md runs as written and prints what it says it prints.

Every ```python block of the page runs, in order, in one namespace, in an empty directory.
The ```py block (Spark, which needs Java and a lake) is only compiled.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

gx = pytest.importorskip("great_expectations")
pytest.importorskip("sqlalchemy")
kd_gx = pytest.importorskip("kl_drift.gx")
from great_expectations.compatibility.pydantic import ValidationError  # noqa: E402

PAGE = Path(__file__).resolve().parents[2] / "docs" / "great_expectations.md"


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_documented_pipeline_runs_and_prints_what_the_page_shows(tmp_path, monkeypatch, capsys) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = fenced(text, "python")
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    exec(compile("\n".join(blocks), str(PAGE), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()

    shown = text.split("It prints:", 1)[1]
    expected = fenced(shown, "text")[0].splitlines()
    assert printed[: len(expected)] == expected
    assert printed[len(expected)] == "['age', 'plan']"  # the SQL section's drifted columns
    assert not namespace["result"].success
    assert {p.name for p in tmp_path.iterdir()} >= {"orders_reference.json", "orders_drift.json", "orders.db"}

    (validation,) = namespace["result"].run_results.values()
    age = validation.results[0].result["details"]
    quoted = re.search(r'sentences such as "([^"]+)"', text).group(1)
    assert age["explanations"][0] == quoted
    observed = re.search(r"for example `(\d[^`]*rows\))`", text).group(1)
    assert observed.startswith(f"{validation.results[0].result['observed_value']:.4g} (drift, p-value")

    for block in fenced(text, "py"):
        compile(block, str(PAGE), "exec")


def test_the_documented_validation_error_is_the_real_one() -> None:
    text = PAGE.read_text(encoding="utf-8")
    documented = fenced(text.split("naming the field:", 1)[1], "text")[0].splitlines()
    rng = np.random.default_rng(0)
    age = kd.profile(pd.DataFrame({"age": rng.normal(41, 12, 20_000).round()}))["age"].to_dict()
    age["counts"] = age["counts"][:-1]
    with pytest.raises(ValidationError) as caught:
        kd_gx.ExpectColumnKlDriftToBeLessThan(column="age", reference=age)
    actual = str(caught.value).splitlines()
    assert actual[:2] == documented[:2]
    assert actual[2].startswith(documented[2].removesuffix(" ...)"))
