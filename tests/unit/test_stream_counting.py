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


# --- Arrow buffers read without pyarrow's to_numpy (which imports pandas) -------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kl_drift._engines import arrow_values  # noqa: E402
from kl_drift._engines.pandas import map_values  # noqa: E402

_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.all((a == b) | ((a != a) & (b != b))))


@settings(max_examples=150, deadline=None)
@given(
    type_name=st.sampled_from(_TYPES),
    values=st.lists(st.one_of(st.none(), st.integers(0, 127)), max_size=40),
    start=st.integers(0, 12),
    length=st.integers(0, 40),
)
def test_buffers_read_as_pyarrow_converts_them(type_name: str, values: list[int | None], start: int, length: int) -> None:
    import pyarrow as pa

    array = pa.array(values, type=type_name).slice(start, length)  # slices: offsets into buffer and bitmap
    expected = array.to_numpy(zero_copy_only=False)
    assert _same(arrow_values._to_numpy(array), expected)
    assert _same(
        arrow_values.numeric_buffer(array),
        expected.astype(np.float64 if expected.dtype.kind == "f" or type_name == "uint64" else np.int64),
    )
    assert np.array_equal(arrow_values.valid_mask(array), ~np.asarray(array.is_null()))


def test_other_types_still_go_through_pyarrow() -> None:
    import pyarrow as pa

    stamps = pa.array([0, None, 86_400_000_000], type=pa.timestamp("us"))
    assert arrow_values.buffer_values(stamps) is None
    assert _same(arrow_values._to_numpy(stamps), stamps.to_numpy(zero_copy_only=False))


@settings(max_examples=100, deadline=None)
@given(
    categories=st.lists(st.text(max_size=3), min_size=1, max_size=6, unique=True),
    pooled=st.lists(st.text(max_size=3), max_size=4, unique=True),
    values=st.lists(st.text(max_size=3), max_size=12, unique=True),
    complete=st.booleans(),
)
def test_text_looked_up_in_a_dict_lands_where_pandas_index_puts_it(
    categories: list[str], pooled: list[str], values: list[str], complete: bool
) -> None:
    pooled = [p for p in pooled if p not in categories]
    spec = kd.CategoricalBins(tuple(categories), value_type="string", other_values=tuple(pooled), other_complete=complete)
    freq = np.arange(1, len(values) + 1, dtype=np.int64)
    counts, targets = map_values(values, freq, 3, spec)
    # The same lookup by pandas' Index.get_indexer, as map_values made it before.
    expected = np.full(len(values), spec.unseen_index if complete else spec.other_index, dtype=np.intp)
    if values:
        hit = pd.Index(categories, dtype=object).get_indexer(pd.Index(values, dtype=object))
        expected = np.where(hit >= 0, hit, expected)
        if pooled:
            in_pool = pd.Index(pooled, dtype=object).get_indexer(pd.Index(values, dtype=object))
            expected = np.where(in_pool >= 0, int(spec.other_index or 0), expected)
    assert targets.tolist() == expected.tolist()
    assert (
        counts.tolist()
        == (
            np.bincount(expected, weights=freq, minlength=spec.n_bins).astype(np.int64)
            + np.eye(spec.n_bins, dtype=np.int64)[-1] * 3
        ).tolist()
    )
