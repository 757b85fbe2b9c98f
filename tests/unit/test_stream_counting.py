"""The streaming count's choice of counting path: from the Parquet footers, for the whole job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._core import kernels
from kl_drift._engines.arrow_survey import Survey
from kl_drift._engines.files import find_files
from kl_drift.dataset import count_dataset


def _frames(tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    rng = np.random.default_rng(5)
    folder = tmp_path / "data"
    folder.mkdir()
    for i, n in enumerate((700, 1300)):
        pd.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 10**6, n), "s": rng.choice(["a", "b"], n)}).to_parquet(
            folder / f"{i}.parquet"
        )
    return pd.DataFrame({"x": rng.normal(size=500), "y": rng.integers(0, 10**6, 500), "s": rng.choice(["a", "b"], 500)}), folder


def test_survey_rows_come_from_the_footers(tmp_path: Path) -> None:
    _, folder = _frames(tmp_path)
    assert Survey.of(find_files(folder)).rows == 2000
    pd.DataFrame({"x": [1.0, 2.0]}).to_csv(tmp_path / "extra.csv", index=False)
    assert Survey.of(find_files([folder / "0.parquet", tmp_path / "extra.csv"])).rows is None


def test_the_first_decision_sees_the_whole_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference, folder = _frames(tmp_path)
    prof = kd.profile(reference, bins=5)
    n_numeric = sum(isinstance(c.bins, kd.NumericBins) for c in prof.columns)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(kernels, "prepare", lambda n_values, n_columns=0: calls.append((n_values, n_columns)) or False)
    table = count_dataset(prof, folder, batch_size=256)
    assert n_numeric == 2 and calls[0] == (2000 * n_numeric, n_numeric)
    # Then once per batch, with what has been counted so far (as without footers).
    assert calls[1] == (256 * n_numeric, n_numeric)
    assert table == kd.count(prof, pd.concat([pd.read_parquet(p) for p in sorted(folder.iterdir())], ignore_index=True))


def test_without_footer_rows_the_count_starts_undecided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference, folder = _frames(tmp_path)
    csv = tmp_path / "current.csv"
    pd.read_parquet(folder / "0.parquet").to_csv(csv, index=False)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(kernels, "prepare", lambda n_values, n_columns=0: calls.append((n_values, n_columns)) or False)
    count_dataset(kd.profile(reference, bins=5), csv, batch_size=256)
    assert calls[0] == (256 * 2, 2)
