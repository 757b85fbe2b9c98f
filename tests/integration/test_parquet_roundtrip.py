"""Real Parquet files (pyarrow): write, read back, profile and compare; Parquet and CSV agree."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import kl_drift as kd

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
DATE_COLUMNS = ["signup_date", "order_time"]


def generated(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    """Typed columns of every kind, with nulls, as a Parquet writer would store them."""
    amount = rng.lognormal(3 + shift, 0.5, n)
    amount[rng.random(n) < 0.05] = np.nan
    count = pd.array(rng.poisson(3 + 2 * shift, n), dtype="Int64")
    count[rng.random(n) < 0.02] = pd.NA
    region = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), n)
    region[rng.random(n) < 0.03] = None
    member = pd.array(rng.random(n) < 0.5 + 0.35 * shift, dtype="boolean")
    when = pd.Series(
        pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 86400 * 60, n), unit="s")
    ).dt.as_unit("us")
    when = when + pd.Timedelta(days=40 * shift)
    when[rng.random(n) < 0.02] = pd.NaT
    return pd.DataFrame(
        {
            "amount": amount,
            "count": count,
            "region": pd.Series(region, dtype="string"),
            "member": member,
            "when": when,
        }
    )


def decision(col: kd.ColumnDrift) -> tuple:
    return (col.column, col.status, col.statistic, col.pvalue, col.pvalue_method, col.current_counts)


@pytest.fixture
def parquet_files(tmp_path) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(99)
    ref, cur = generated(rng, 4000, 0.0), generated(rng, 2500, 1.0)
    ref_path, cur_path = tmp_path / "reference.parquet", tmp_path / "current.parquet"
    pq.write_table(pa.Table.from_pandas(ref, preserve_index=False), ref_path)
    pq.write_table(pa.Table.from_pandas(cur, preserve_index=False), cur_path, row_group_size=700)
    return ref_path, cur_path, ref, cur


def test_parquet_files_hold_nulls_and_types(parquet_files):
    ref_path, _, ref, _ = parquet_files
    schema = pq.read_schema(ref_path)
    assert pa.types.is_timestamp(schema.field("when").type)
    assert schema.field("when").type.tz == "UTC"
    assert pa.types.is_boolean(schema.field("member").type)
    table = pq.read_table(ref_path)
    assert table.column("amount").null_count == int(ref["amount"].isna().sum())
    assert table.column("region").null_count == int(ref["region"].isna().sum())


def test_profile_and_compare_after_a_parquet_round_trip(parquet_files, tmp_path):
    ref_path, cur_path, ref, cur = parquet_files
    ref_back, cur_back = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
    prof = kd.profile(ref_back)
    assert prof == kd.profile(ref)
    assert {c.name: c.kind for c in prof} == {
        "amount": "numeric",
        "count": "numeric",
        "region": "categorical",
        "member": "boolean",
        "when": "datetime",
    }
    assert prof["when"].bins.tz == "UTC"
    for name in ref.columns:
        assert prof[name].counts[-1] == int(ref[name].isna().sum()), name
    report = kd.compare(prof, cur_back)
    assert report.columns == kd.compare(prof, cur).columns
    assert set(report.drifted_columns) == {"amount", "count", "member", "when"}
    assert report["region"].status == "ok"
    prof.save(tmp_path / "profile.json")
    assert kd.compare(kd.ReferenceProfile.load(tmp_path / "profile.json"), cur_back).columns == report.columns


def test_counting_parquet_row_groups_one_at_a_time_equals_the_whole_file(parquet_files):
    ref_path, cur_path, _, _ = parquet_files
    prof = kd.profile(pd.read_parquet(ref_path))
    handle = pq.ParquetFile(cur_path)
    assert handle.num_row_groups > 1
    chunks = [prof.count(handle.read_row_group(i).to_pandas()) for i in range(handle.num_row_groups)]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged.merge(chunk)
    whole = pd.read_parquet(cur_path)
    assert merged == prof.count(whole)
    # Examples of unseen values need the rows; everything the decision rests on must agree.
    assert [decision(c) for c in kd.compare(prof, merged)] == [decision(c) for c in kd.compare(prof, whole)]


def test_arrow_backed_columns_compare_like_numpy_ones(parquet_files):
    """``dtype_backend="pyarrow"`` (strings, numbers, booleans and timestamps) counts the same."""
    ref_path, cur_path, _, _ = parquet_files
    prof = kd.profile(pd.read_parquet(ref_path))
    assert kd.profile(pd.read_parquet(ref_path, dtype_backend="pyarrow")) == prof
    numpy_backed = pd.read_parquet(cur_path)
    arrow_backed = pd.read_parquet(cur_path, dtype_backend="pyarrow")
    a, b = kd.compare(prof, numpy_backed), kd.compare(prof, arrow_backed)
    for x, y in zip(a, b):
        assert x.status == y.status, (x.column, y.reason)
        assert x.current_counts == y.current_counts, x.column


@pytest.mark.skipif(not (SAMPLE_DATA / "reference.parquet").exists(), reason="sample_data not generated")
def test_sample_data_parquet_and_csv_give_the_same_statistics():
    ref_pq = pd.read_parquet(SAMPLE_DATA / "reference.parquet")
    cur_pq = pd.read_parquet(SAMPLE_DATA / "current.parquet")
    ref_csv = pd.read_csv(SAMPLE_DATA / "reference.csv", parse_dates=DATE_COLUMNS)
    cur_csv = pd.read_csv(SAMPLE_DATA / "current.csv", parse_dates=DATE_COLUMNS)
    from_parquet = kd.compare(ref_pq, cur_pq)
    from_csv = kd.compare(ref_csv, cur_csv)
    assert [c.column for c in from_parquet] == [c.column for c in from_csv]
    for a, b in zip(from_parquet, from_csv):
        assert a.kind == b.kind, a.column
        assert a.status == b.status, a.column
        assert a.bin_labels == b.bin_labels, a.column
        assert a.reference_counts == b.reference_counts, a.column
        assert a.current_counts == b.current_counts, a.column
        if a.status == "identifier":  # not scored (order_id: every value distinct)
            assert a.statistic is None and b.statistic is None and a.reason == b.reason, a.column
            continue
        assert math.isclose(a.statistic, b.statistic, rel_tol=1e-12, abs_tol=1e-15), a.column
        assert a.pvalue == pytest.approx(b.pvalue, rel=1e-9, abs=1e-300)
    assert from_parquet.drifted_columns == from_csv.drifted_columns
    # The documented expectations of sample_data/README.md (basket_value's 30% shift is
    # highly significant and above the default decision's minimum effect).
    assert {"basket_value", "delivery_days", "channel", "coupon_code"} <= set(from_parquet.drifted_columns)
    assert from_parquet["order_id"].status == "identifier"
    assert from_parquet["basket_value"].pvalue < 1e-6
    for stable in ("age", "items", "country", "payment_method", "is_member"):
        assert from_parquet[stable].status in ("ok", "warn"), stable
    assert from_parquet["channel"].novel_fraction > 0.02
