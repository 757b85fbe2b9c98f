"""compare_dataset on Parquet numbers however the writer encoded them: the in-memory report.

Parquet writers dictionary-encode numeric columns too, fall back to plain encoding in the
middle of a column chunk when the dictionary page fills up, start a new dictionary in every
row group, or do not use dictionaries at all; one file of a folder may do one and the next
another. Whatever pyarrow gives the stream for these, every count and every statistic must
be those of ``kd.compare`` on the same rows in memory, on both counting paths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_helpers import on_each_counting_path

import kl_drift as kd
from kl_drift._core import kernels
from kl_drift.dataset import compare_dataset

# (use_dictionary, dictionary_pagesize_limit, row_group_size): dictionary throughout; a
# dictionary page of 64 bytes, so the writer falls back to plain encoding after a few
# values of each chunk; plain encoding only; small row groups, each with its own dictionary.
ENCODINGS = {
    "dictionary": {"use_dictionary": True},
    "fallback": {"use_dictionary": True, "dictionary_pagesize_limit": 64},
    "plain": {"use_dictionary": False},
    "row groups": {"use_dictionary": True, "row_group_size": 37},
}


def _frame(rng: np.random.Generator, n: int, n_distinct: int, shift: float = 0.0) -> pd.DataFrame:
    ints = rng.integers(0, n_distinct, n).astype("int64") + int(shift)
    floats = np.round(rng.normal(shift, 3.0, n), 1)
    floats[rng.random(n) < 0.1] = np.nan
    floats[rng.random(n) < 0.02] = np.inf
    stamps = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, n_distinct, n) * 3600 + int(shift * 86_400), unit="s")
    stamps = stamps.where(rng.random(n) >= 0.05)
    nullable = pd.array(rng.integers(0, n_distinct, n), dtype="Int64")
    nullable[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({"i": ints, "f": floats, "t": stamps, "n": nullable, "s": pd.Series(ints % 7).astype(str).to_numpy()})


def _write(frame: pd.DataFrame, path: Path, encoding: str) -> None:
    options = dict(ENCODINGS[encoding])
    row_group_size = options.pop("row_group_size", None)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=row_group_size, **options)


def _encodings(path: Path) -> set[str]:
    meta = pq.ParquetFile(path).metadata
    return {e for g in range(meta.num_row_groups) for c in range(meta.num_columns) for e in meta.row_group(g).column(c).encodings}


@pytest.fixture(params=["numpy", "kernels"])
def counting_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    if request.param == "kernels":
        pytest.importorskip("numba")
        monkeypatch.setenv(kernels.FORCE_ENV, "1")
    else:
        monkeypatch.setenv(kernels.DISABLE_ENV, "1")
    yield request.param
    monkeypatch.undo()
    kernels.prepare(0)


def _same(streamed: kd.DriftReport, in_memory: kd.DriftReport) -> None:
    assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]


@pytest.mark.parametrize(
    "encodings", [["dictionary"], ["fallback"], ["plain"], ["row groups"], ["dictionary", "plain", "fallback", "row groups"]]
)
def test_numbers_count_the_same_whatever_the_encoding(tmp_path: Path, counting_path: str, encodings: list[str]) -> None:
    rng = np.random.default_rng(len(encodings))
    reference = _frame(rng, 2_000, 50)
    prof = kd.profile(reference, categorical=["s"])
    parts = []
    for i, encoding in enumerate(encodings):
        part = _frame(rng, 700 + 91 * i, 60, shift=0.5 * i)
        _write(part, tmp_path / f"part-{i}.parquet", encoding)
        parts.append(part)
    # The files hold what the test means: dictionary pages, or plain pages, or both.
    for i, encoding in enumerate(encodings):
        seen = _encodings(tmp_path / f"part-{i}.parquet")
        assert ("RLE_DICTIONARY" in seen or "PLAIN_DICTIONARY" in seen) == (encoding != "plain")
    current = pd.concat(parts, ignore_index=True)
    for batch_size in (64, 100_000):
        _same(compare_dataset(prof, tmp_path, batch_size=batch_size), kd.compare(prof, current))


# Degenerate columns (one value, all missing) warn, in memory and streamed alike.
@pytest.mark.filterwarnings("ignore::kl_drift.errors.DegenerateDataWarning")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**16),
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=3),
    encodings=st.lists(st.sampled_from(sorted(ENCODINGS)), min_size=3, max_size=3),
    n_distinct=st.sampled_from([1, 3, 40, 5_000]),
    batch_size=st.sampled_from([7, 128, 10_000]),
)
def test_streamed_reports_equal_the_in_memory_report(
    tmp_path_factory: pytest.TempPathFactory, seed: int, sizes: list[int], encodings: list[str], n_distinct: int, batch_size: int
) -> None:
    folder = tmp_path_factory.mktemp("files")
    rng = np.random.default_rng(seed)
    prof = kd.profile(_frame(rng, 500, n_distinct), categorical=["s"])
    parts = [_frame(rng, n, n_distinct, shift=float(i)) for i, n in enumerate(sizes)]
    for i, part in enumerate(parts):
        _write(part, folder / f"part-{i}.parquet", encodings[i])
    expected = kd.compare(prof, pd.concat(parts, ignore_index=True))
    on_each_counting_path(lambda: _same(compare_dataset(prof, folder, batch_size=batch_size), expected))
