"""read_table: CSV and Parquet files, directories and globs into one DataFrame."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kl_drift as kd
from kl_drift._engines.files import find_files, format_of
from kl_drift.reporting import SourceError, expand_paths, parquet_stream, read_table


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 300
    amount = rng.gamma(2.0, 10.0, n).round(2)
    amount[::17] = np.nan
    plan = rng.choice(np.array(["basic", "plus", "pro"], dtype=object), n)
    plan[::13] = None
    return pd.DataFrame(
        {
            "amount": amount,
            "items": rng.integers(1, 9, n),
            "plan": plan,
            "member": rng.random(n) < 0.3,
            "ordered_at": pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"),
            "signup": (pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")),
        }
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    out["ordered_at"] = out["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out["signup"] = out["signup"].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False)


def test_csv_and_parquet_give_the_same_counts(frame: pd.DataFrame, tmp_path: Path) -> None:
    _write_csv(frame, tmp_path / "data.csv")
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    from_csv = read_table([tmp_path / "data.csv"])
    from_parquet = read_table([tmp_path / "data.parquet"])
    assert list(from_csv.columns) == list(frame.columns)
    for column in ("ordered_at", "signup"):
        assert pd.api.types.is_datetime64_any_dtype(from_csv[column].dtype), column
    assert from_csv["plan"].isna().sum() == frame["plan"].isna().sum()  # empty CSV fields are missing
    profile = kd.profile(frame)
    assert profile.count(from_csv) == profile.count(from_parquet) == profile.count(frame)


def test_only_requested_columns_are_read_in_the_requested_order(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    assert list(read_table([tmp_path / "data.parquet"], ["plan", "amount"]).columns) == ["plan", "amount"]
    assert list(read_table([tmp_path / "data.parquet"], exclude=["plan", "signup"]).columns) == [
        "amount", "items", "member", "ordered_at",
    ]  # fmt: skip


def test_missing_columns_raise_or_are_left_out(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    _write_csv(frame, path)
    with pytest.raises(SourceError, match=r"data\.csv: has no column 'price'") as info:
        read_table([path], ["amount", "price"])
    assert info.value.source == str(path)
    assert list(read_table([path], ["amount", "price"], missing="ignore").columns) == ["amount"]
    with pytest.raises(SourceError, match="no column 'price' to exclude"):
        read_table([path], exclude=["price"])
    with pytest.raises(SourceError, match=r"has none of the columns \['price'\]"):
        read_table([path], ["price"], missing="ignore")


def test_a_column_some_files_lack_reads_as_missing_values(frame: pd.DataFrame, tmp_path: Path) -> None:
    # As pandas.concat: the rows of the file without the column are missing values there,
    # which the "(missing)" bin then reports, instead of no report at all.
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    frame.drop(columns=["plan"]).to_parquet(tmp_path / "b.parquet", index=False)
    result = read_table([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    expected = pd.concat([frame, frame.drop(columns=["plan"])], ignore_index=True)
    assert list(result.columns) == list(frame.columns) and len(result) == 2 * len(frame)
    assert int(result["plan"].isna().sum()) == int(frame["plan"].isna().sum()) + len(frame)
    profile = kd.profile(frame)
    assert profile.count(result) == profile.count(expected)


def test_directory_with_hive_partitions_and_globs(frame: pd.DataFrame, tmp_path: Path) -> None:
    root = tmp_path / "dataset"
    for day, part in frame.groupby(frame["ordered_at"].dt.day % 3):
        (root / f"shard={day}").mkdir(parents=True)
        part.to_parquet(root / f"shard={day}" / "part-0.parquet", index=False)
    (root / "_SUCCESS").write_text("")
    (root / ".part-0.parquet.crc").write_bytes(b"\x00")
    whole = read_table([root])
    assert len(whole) == len(frame)
    assert whole.groupby("shard").size().to_dict() == (frame["ordered_at"].dt.day % 3).value_counts().to_dict()
    globbed = read_table([str(root / "*" / "*.parquet")])
    assert len(globbed) == len(frame) and "shard" not in globbed.columns
    assert [f.path for f in expand_paths([root])] == sorted(str(p) for p in root.glob("shard=*/part-0.parquet"))


def test_files_with_different_numeric_types_concatenate(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": pa.array([1, 2], pa.int64())}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"x": pa.array([2.5, None], pa.float64())}), tmp_path / "b.parquet")
    pd.DataFrame({"x": [7]}).to_csv(tmp_path / "c.csv", index=False)
    result = read_table([tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.csv"])
    assert result["x"].tolist()[:3] == [1.0, 2.0, 2.5] and result["x"].isna().sum() == 1 and len(result) == 5


def test_csv_types_come_from_the_whole_file(tmp_path: Path) -> None:
    # A float after many integers: a reader that fixed the type on the first block would fail.
    values = list(range(200_000)) + [0.5]
    pd.DataFrame({"x": values}).to_csv(tmp_path / "late.csv", index=False)
    assert read_table([tmp_path / "late.csv"])["x"].iloc[-1] == 0.5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.parquet", None, "no such file or directory"),
        ("bad.parquet", b"PAR1 definitely not parquet", "is not a readable Parquet file"),
        ("bad.csv", b"a,b\n1,2\n1,2,3\n", "is not a readable CSV file"),
        ("data.xlsx", b"PK\x03\x04", "unknown file type"),
        ("empty_dir", "dir", "holds no .parquet or .csv files"),
        ("*.nothing", None, "the pattern matches no file"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, name: str, content: bytes | str | None, message: str) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_table([path])
    assert info.value.source == str(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_empty_files_give_an_empty_frame(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.iloc[:0].to_parquet(tmp_path / "empty.parquet", index=False)
    (tmp_path / "empty.csv").write_text("amount,plan\n")
    assert read_table([tmp_path / "empty.parquet"], ["amount", "plan"]).shape == (0, 2)
    assert read_table([tmp_path / "empty.csv"]).shape == (0, 2)


def test_parquet_without_suffix_is_recognised(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "000000_0", index=False)
    assert len(read_table([tmp_path / "000000_0"])) == len(frame)


def test_progress_bar_is_drawn_only_when_asked(frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(3):
        frame.to_parquet(tmp_path / f"part{i}.parquet", index=False)
    paths = sorted(tmp_path.glob("*.parquet"))
    read_table(paths)  # stderr is not a terminal under pytest: no bar
    assert capsys.readouterr().err == ""
    pytest.importorskip("tqdm")
    read_table(paths, progress=True)
    assert "reading" in capsys.readouterr().err


def test_a_name_that_exists_is_used_as_given_even_with_glob_characters(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_parquet(tmp_path / "data[1].parquet", index=False)
    frame.iloc[:10].to_parquet(tmp_path / "data1.parquet", index=False)
    assert [f.path for f in expand_paths([tmp_path / "data[1].parquet"])] == [str(tmp_path / "data[1].parquet")]
    assert len(read_table([tmp_path / "data[1].parquet"])) == len(frame)
    # A name that does not exist is a pattern: [12] matches data1.parquet.
    assert [f.path for f in expand_paths([tmp_path / "data[12].parquet"])] == [str(tmp_path / "data1.parquet")]


def test_pandas_index_columns_are_not_read(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame[frame["items"] % 2 == 0].to_parquet(tmp_path / "filtered.parquet")
    assert "__index_level_0__" in pq.read_schema(tmp_path / "filtered.parquet").names
    result = read_table([tmp_path / "filtered.parquet"])
    assert list(result.columns) == list(frame.columns)
    files, columns, n_rows = parquet_stream([tmp_path / "filtered.parquet"])
    assert columns == list(frame.columns) and n_rows == int((frame["items"] % 2 == 0).sum())
    assert [f.path for f in files] == [str(tmp_path / "filtered.parquet")]


def test_suffix_rules_and_hidden_files(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert [format_of(n) for n in ("a.parquet", "a.PQ", "a.parq", "a.csv", "a.csv.gz", "a.csv.zst", "a.json")] == [
        "parquet", "parquet", "parquet", "csv", "csv", "csv", None,
    ]  # fmt: skip
    root = tmp_path / "mixed"
    (root / ".hidden").mkdir(parents=True)
    (root / "_temporary").mkdir()
    frame.to_parquet(root / "part-0.parquet", index=False)
    frame.to_parquet(root / ".hidden" / "part-1.parquet", index=False)
    frame.to_parquet(root / "_temporary" / "part-2.parquet", index=False)
    frame.to_csv(root / "notes.csv", index=False)
    # Parquet wins in a directory holding both; hidden and "_" folders are skipped.
    assert [f.path for f in expand_paths([root])] == [str(root / "part-0.parquet")]
    # format= reads a directory whole, whatever the names.
    frame.to_parquet(root / "000000_0", index=False)
    assert [os.path.basename(f.path) for f in find_files(root, format="parquet")] == ["000000_0", "notes.csv", "part-0.parquet"]
    with pa.CompressedOutputStream(str(tmp_path / "zipped.csv.zst"), "zstd") as out:
        out.write(frame.to_csv(index=False).encode())
    assert len(read_table([tmp_path / "zipped.csv.zst"])) == len(frame)


def test_streamed_csv_conversion_error_names_the_file(tmp_path: Path) -> None:
    # Streamed CSV types come from the first block; a later value that does not fit is a clear error.
    path = tmp_path / "late.csv"
    pd.DataFrame({"x": list(range(2_000_000)) + ["oops"]}).to_csv(path, index=False)
    prof = kd.profile(pd.DataFrame({"x": [1, 2, 3] * 10}))
    with pytest.raises(SourceError, match=r"late\.csv: is not a readable CSV file: .*first 8 MiB"):
        kd.compare_dataset(prof, path)
