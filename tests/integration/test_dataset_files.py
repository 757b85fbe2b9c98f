"""Streaming real file layouts: partitioned directories, evolving schemas, compressed CSV, saved profiles.

Each result is checked against pandas reading the same files whole and ``kd.profile`` /
``kd.compare`` on that frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import kl_drift as kd
from kl_drift.dataset import compare_dataset, profile_dataset


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3.0, 1.0, n),
            "items": rng.integers(1, 200, n),
            "country": pd.array(rng.choice(["de", "fr", "it", "es", "nl"], n), dtype="str"),
        }
    )


def test_hive_partitioned_dataset_with_partition_column(tmp_path: Path) -> None:
    whole = frame(5000, 0).assign(region=np.repeat(["north", "south"], 2500))
    pq.write_to_dataset(pa.Table.from_pandas(whole, preserve_index=False), tmp_path / "sales", partition_cols=["region"])
    dataset = ds.dataset(tmp_path / "sales", format="parquet", partitioning="hive")
    in_memory = dataset.to_table().to_pandas()
    assert "region" in in_memory.columns
    expected = kd.profile(in_memory)
    streamed = profile_dataset(dataset, sample_size=10_000, batch_size=700)
    assert streamed == expected
    report = compare_dataset(expected, dataset, batch_size=900)
    assert report.to_frame()["statistic"].equals(kd.compare(expected, in_memory).to_frame()["statistic"])


def test_files_with_an_evolving_schema_fill_missing_columns_with_nulls(tmp_path: Path) -> None:
    first, second = frame(2000, 1), frame(1500, 2).drop(columns=["items"])
    folder = tmp_path / "landing"
    folder.mkdir()
    first.to_parquet(folder / "2025-01.parquet")
    second.to_parquet(folder / "2025-02.parquet")
    in_memory = pd.concat([first, second], ignore_index=True)
    prof = kd.profile(first)
    streamed = compare_dataset(prof, folder, batch_size=512)
    expected = kd.compare(prof, in_memory)
    assert streamed["items"].current_counts == expected["items"].current_counts
    assert streamed["items"].missing_current == pytest.approx(1500 / 3500)
    assert streamed.to_frame()["statistic"].equals(expected.to_frame()["statistic"])


def test_gzipped_csv_and_saved_profile_round_trip(tmp_path: Path) -> None:
    ref, cur = frame(3000, 3), frame(3000, 4)
    cur["amount"] *= 2.5
    ref.to_csv(tmp_path / "ref.csv.gz", index=False)
    cur.to_csv(tmp_path / "cur.csv.gz", index=False)
    prof = profile_dataset(tmp_path / "ref.csv.gz", sample_size=500)
    prof.save(tmp_path / "profile.json")
    loaded = kd.ReferenceProfile.load(tmp_path / "profile.json")
    report = compare_dataset(loaded, tmp_path / "cur.csv.gz")
    expected = kd.compare(loaded, pd.read_csv(tmp_path / "cur.csv.gz", engine="pyarrow"))
    assert report["amount"].status == expected["amount"].status == "drift"
    assert report.to_frame()["statistic"].equals(expected.to_frame()["statistic"])
