"""Directories without key=value folders are listed without pyarrow.dataset, as it lists them.

`find_files` lists such a directory itself (importing pyarrow.dataset imports pandas, 0.2 s
of CPU per process); the files, their order, format and (empty) partitions must be those
pyarrow.dataset's Hive discovery gives, which it still does where a folder is key=value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._engines import files
from kl_drift._engines.files import SourceError, find_files
from kl_drift.dataset import compare_dataset


def _write(root: Path, names: list[str]) -> None:
    for i, name in enumerate(names):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame({"x": [float(i), 2.0], "plan": ["a", "b"]})
        if name.endswith(".csv"):
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path)


LAYOUTS = [
    ["part-1.parquet", "part-0.parquet"],
    ["b/x.parquet", "a/c/y.parquet", "z.parquet", "_SUCCESS", ".hidden/w.parquet", "_tmp/v.parquet", "notes.txt"],
    ["2026/01/a.csv", "2026/02/b.csv", "c.csv"],
    ["one.parquet", "two.csv"],  # parquet wins, as before
    ["data[1].parquet", "sp ace/é.parquet"],
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda names: names[0])
@pytest.mark.parametrize("spelling", ["absolute", "relative", "trailing slash"])
def test_directories_list_as_pyarrow_dataset_lists_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: list[str], spelling: str
) -> None:
    _write(tmp_path / "data", layout)
    monkeypatch.chdir(tmp_path)
    source = {"absolute": str(tmp_path / "data"), "relative": "data", "trailing slash": "data" + os.sep}[spelling]
    listed = find_files(source)
    # The same listing through pyarrow.dataset's Hive discovery, as every directory was listed before.
    root = Path(source)
    visible = [p for p in sorted(root.rglob("*")) if p.is_file() and files._visible(p, root)]
    fmt = listed[0].format
    through_dataset = files._hive_files(root, [p for p in visible if files.format_of(p.name) == fmt], fmt, None)
    assert [(f.path, f.format, dict(f.partition)) for f in listed] == [
        (f.path, f.format, dict(f.partition)) for f in through_dataset
    ]
    assert listed


def test_key_value_folders_still_give_partition_columns(tmp_path: Path) -> None:
    _write(tmp_path, ["day=1/a.parquet", "day=2/b.parquet"])
    listed = find_files(str(tmp_path))
    assert [f.partition["day"].as_py() for f in listed] == [1, 2]


def test_an_unreadable_file_in_a_directory_is_a_source_error_naming_it(tmp_path: Path) -> None:
    _write(tmp_path, ["b.parquet"])
    (tmp_path / "a.parquet").write_bytes(b"junk")
    prof = kd.profile(pd.DataFrame({"x": [1.0, 2.0, 3.0], "plan": ["a", "b", "b"]}))
    with pytest.raises(SourceError, match="a.parquet: is not a readable Parquet file"):
        compare_dataset(prof, tmp_path)


def test_a_directory_without_partitions_is_compared_without_importing_pyarrow_dataset(tmp_path: Path) -> None:
    _write(tmp_path, ["a.parquet", "b/c.parquet"])
    kd.profile(pd.DataFrame({"x": [1.0, 2.0, 3.0], "plan": ["a", "b", "b"]})).save(tmp_path / "profile.json")
    code = (
        "import sys, kl_drift as kd\n"
        "from kl_drift.dataset import compare_dataset\n"
        f"prof = kd.ReferenceProfile.load({str(tmp_path / 'profile.json')!r})\n"
        f"compare_dataset(prof, {str(tmp_path)!r}, columns=['x'])\n"
        "print('pyarrow.dataset' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
