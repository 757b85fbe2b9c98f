"""The Python examples of the docs run as written (on sample_data/)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

import kl_drift as kd

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: str) -> list[str]:
    return BLOCK.findall((ROOT / "docs" / page).read_text(encoding="utf-8"))


@pytest.fixture
def in_sample_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_quickstart_runs_as_written(in_sample_folder: Path) -> None:
    blocks = python_blocks("quickstart.md")
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    # Any kl_drift warning fails the test (pytest's filterwarnings): the page must run clean.
    for block in blocks:
        exec(compile(block, "docs/quickstart.md", "exec"), namespace)
    report = namespace["report"]
    assert isinstance(report, kd.DriftReport) and report.drifted
    assert (in_sample_folder / "reference_profile.json").exists()
    assert "channel" in report.drifted_columns


def test_thresholds_examples_run(in_sample_folder: Path) -> None:
    namespace: dict[str, object] = {
        "kd": kd,
        "prof": kd.profile(pd.read_parquet("sample_data/reference.parquet")),
        "current": pd.read_parquet("sample_data/current.parquet"),
    }
    for block in python_blocks("thresholds.md"):
        exec(compile(block, "docs/thresholds.md", "exec"), namespace)
    report = namespace["report"]
    assert isinstance(report, kd.DriftReport) and report.threshold_mode == "auto"


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert [p for p in pages if p not in nav] == []
    assert os.path.exists(ROOT / "docs" / "img" / "report.png")
