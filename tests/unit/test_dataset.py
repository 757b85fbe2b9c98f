"""Streaming profiles and comparisons of Parquet/CSV files: equal to the in-memory results.

Every expected value is the in-memory computation (``kd.profile`` / ``kd.compare`` on the
same data read whole with pandas), or an exact count over the whole column.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

import kl_drift as kd
from kl_drift import dataset as kds
from kl_drift._engines import files as kfiles
from kl_drift._engines.arrow_sample import Reservoir
from kl_drift.dataset import compare_dataset, open_dataset, profile_dataset, quantile_error_bound

N = 6000


def mixed_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Every column kind the profile handles, with missing values, in typed Parquet columns."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "normal": rng.normal(10.0, 2.0, n),
            "with_nan": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(3.0, n)),
            "ints": rng.integers(0, 1000, n),
            "discrete": rng.integers(0, 6, n),
            "nullable_int": pd.array(np.where(rng.random(n) < 0.05, None, rng.integers(0, 500, n)), dtype="Int64"),
            "plan": pd.array(rng.choice(["basic", "pro", "team", "free", None], n, p=[.4, .3, .1, .15, .05]), dtype="str"),
            "city": pd.array(rng.choice([f"city{i:02d}" for i in range(30)], n), dtype="str"),
            "segment": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "flag": rng.random(n) < 0.3,
            "when": start + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
            "when_tz": (start + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s")).tz_localize("Europe/Paris"),
        }
    )


def write(df: pd.DataFrame, path: Path, row_group_size: int = 1000) -> Path:
    df.to_parquet(path, row_group_size=row_group_size)
    return path


@pytest.fixture(scope="module")
def reference_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(mixed_frame(), tmp_path_factory.mktemp("ref") / "reference.parquet")


OPTION_SETS = [
    {},
    {"strategy": "uniform"},
    {"bins": {"normal": 4, "ints": 7}, "strategy": {"with_nan": "uniform"}},
    {"categorical": ["ints"], "max_categories": 3},
    {"discrete_threshold": 0, "bins": 5},
    {"columns": ["city", "normal", "when"]},
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(o) or "defaults")
def test_whole_sample_equals_in_memory_profile(reference_file: Path, options: dict) -> None:
    expected = kd.profile(pd.read_parquet(reference_file), **options)
    streamed = profile_dataset(reference_file, batch_size=700, sample_size=N, **options)
    assert streamed == expected
    assert [c.dtype for c in streamed.columns] == [c.dtype for c in expected.columns]
    assert streamed.to_dict()["columns"] == expected.to_dict()["columns"]


@pytest.mark.parametrize(
    "options",
    [
        {"strategy": "uniform"},
        {"strategy": "uniform", "bins": 3, "max_categories": 2},
        {"categorical": ["ints"], "max_categories": 3, "columns": ["ints", "discrete", "plan", "city", "flag"]},
    ],
    ids=["uniform", "uniform-few-categories", "categorical"],
)
def test_sampled_profile_with_exact_statistics_equals_in_memory(reference_file: Path, options: dict) -> None:
    # Uniform edges need only the exact min and max; categories only exact value counts.
    expected = kd.profile(pd.read_parquet(reference_file), **options)
    streamed = profile_dataset(reference_file, batch_size=500, sample_size=300, **options)
    assert streamed.settings["sampled"] is True
    assert streamed == expected
    assert streamed.to_dict()["columns"] == expected.to_dict()["columns"]


def test_sampled_profile_with_fixed_edges_equals_in_memory(reference_file: Path) -> None:
    edges = {
        "normal": [6, 8.5, 10, 12.25],
        "with_nan": [0.5, 1, 4],
        "ints": [100, 250.5, 900],
        "nullable_int": [10, 400],
        "when": ["2024-02-01 00:00", "2024-03-01 12:00"],
        "when_tz": ["2024-02-01T00:00:00+01:00"],
    }
    expected = kd.profile(pd.read_parquet(reference_file), edges=edges)
    streamed = profile_dataset(reference_file, batch_size=512, sample_size=50, edges=edges)
    assert streamed.settings["sampled"] is True
    assert streamed == expected
    assert streamed.to_dict()["columns"] == expected.to_dict()["columns"]


def test_sampled_quantile_counts_are_exact_in_the_fitted_edges(reference_file: Path) -> None:
    streamed = profile_dataset(reference_file, batch_size=600, sample_size=400)
    numeric = [c.name for c in streamed.columns if isinstance(c.bins, kd.NumericBins)]
    assert set(numeric) == {"normal", "with_nan", "ints", "nullable_int", "when", "when_tz"}
    frame = pd.read_parquet(reference_file)
    edges = {}
    for name in numeric:
        spec = streamed[name].bins
        edges[name] = (
            [pd.Timestamp(e, tz="UTC") for e in spec.edges] if spec.datetime else list(spec.edges)
        )
    exact = kd.profile(frame, columns=numeric, edges=edges)
    for name in numeric:
        assert streamed[name].counts == exact[name].counts, name
        assert streamed[name].bins.edges == exact[name].bins.edges, name


def sorted_file(tmp_path: Path, n: int) -> tuple[Path, pd.DataFrame]:
    """Columns stored in ascending order: a sample of the first rows would be far off."""
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "lognormal": np.sort(rng.lognormal(0.0, 1.0, n)),
            "uniform_int": np.sort(rng.integers(0, 10**9, n)),
            "half_missing": np.sort(np.where(rng.random(n) < 0.5, np.nan, rng.normal(size=n))),
        }
    )
    return write(df, tmp_path / "sorted.parquet", row_group_size=10_000), df


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_quantile_edges_are_within_the_dkw_bound(tmp_path: Path, seed: int) -> None:
    n, m, delta = 60_000, 2_000, 1e-6
    path, df = sorted_file(tmp_path, n)
    prof = profile_dataset(path, batch_size=4096, sample_size=m, bins=10, random_state=seed)
    for name in df.columns:
        values = df[name].dropna().to_numpy()
        m_values = round(m * values.size / n)  # non-missing values in the sample, near enough
        bound = quantile_error_bound(int(m_values * 0.9), delta) + 1 / (m_values * 0.9)
        # The quantile edges, inside the two that mark the exact reference range.
        bins = prof[name].bins
        assert (bins.low, bins.high) == (values.min(), values.max())
        edges = np.asarray(bins.edges[1:-1], dtype=np.float64)
        assert len(edges) == 9, name
        rank = np.searchsorted(np.sort(values), edges, side="right") / values.size
        target = np.arange(1, 10) / 10
        assert np.max(np.abs(rank - target)) <= bound, (name, rank)
        # The counts are exact all the same: whole-column counts in those edges.
        assert prof[name].counts[1:-2] == tuple(np.diff(np.r_[0, rank * values.size, values.size]).round().astype(int))
        assert prof[name].counts[0] == prof[name].counts[-2] == 0


def test_dkw_bound_formula() -> None:
    for m, delta in [(1, 0.5), (1000, 0.01), (200_000, 0.001)]:
        assert quantile_error_bound(m, delta) == pytest.approx(math.sqrt(math.log(2 / delta) / (2 * m)), rel=1e-15)
    with pytest.raises(ValueError, match="`sample_size` must be a positive integer"):
        quantile_error_bound(0)
    with pytest.raises(ValueError, match="`delta` must be in"):
        quantile_error_bound(10, delta=1.5)


def test_reservoir_keeps_every_row_with_equal_probability() -> None:
    n, size, runs = 400, 40, 300
    table = pa.table({"row": np.arange(n)})
    hits = np.zeros(n)
    for seed in range(runs):
        reservoir = Reservoir(size, seed)
        for batch in table.to_batches(max_chunksize=37):
            reservoir.add(batch)
        rows = reservoir.table(table.schema).column("row").to_numpy()
        assert len(rows) == size and len(set(rows.tolist())) == size
        hits[rows] += 1
    # Inclusion counts of the rows should look like draws with p = size / n each.
    assert stats.chisquare(hits).pvalue > 1e-3
    early, late = hits[: n // 2].sum(), hits[n // 2:].sum()
    assert abs(early - late) / (early + late) < 0.05


def test_profile_is_reproducible_by_seed(tmp_path: Path) -> None:
    path, _ = sorted_file(tmp_path, 20_000)
    first = profile_dataset(path, sample_size=500, random_state=3)
    assert profile_dataset(path, sample_size=500, random_state=3) == first
    assert profile_dataset(path, sample_size=500, random_state=4)["lognormal"].bins != first["lognormal"].bins


def test_integer_column_with_nulls_only_in_later_batches(tmp_path: Path) -> None:
    values = pa.array(list(range(3000)) + [None] * 10 + list(range(990)), pa.int64())
    few = pa.array([1, 2, 3] * 1000 + [None] * 10 + [2] * 990, pa.int64())
    path = tmp_path / "late_nulls.parquet"
    pq.write_table(pa.table({"x": values, "few": few}), path, row_group_size=1000)
    frame = pd.read_parquet(path)
    assert str(frame["x"].dtype) == "float64"
    for sample_size in (4000, 100):
        streamed = profile_dataset(path, batch_size=1000, sample_size=sample_size)
        assert streamed["few"].to_dict() == kd.profile(frame)["few"].to_dict()
        assert streamed["x"].dtype == "float64"
        assert all(isinstance(e, float) for e in streamed["x"].bins.edges)
    assert profile_dataset(path, batch_size=1000, sample_size=4000) == kd.profile(frame)


def test_directory_glob_and_file_list_read_all_files(tmp_path: Path) -> None:
    whole = mixed_frame(3000, seed=5)
    folder = tmp_path / "parts"
    folder.mkdir()
    parts = [whole.iloc[i:i + 1000] for i in range(0, 3000, 1000)]
    paths = [write(part.reset_index(drop=True), folder / f"part-{i}.parquet") for i, part in enumerate(parts)]
    (folder / "_SUCCESS").write_text("")
    expected = kd.profile(whole)
    for source in (folder, str(folder / "*.parquet"), paths):
        assert profile_dataset(source, sample_size=10_000, batch_size=256) == expected


def test_csv_files_equal_the_in_memory_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=2000).round(4), "k": rng.integers(0, 4, 2000),
                       "s": rng.choice(["u", "v", "w"], 2000)})
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    frame = pd.read_csv(path, engine="pyarrow")
    expected = kd.profile(frame)
    assert profile_dataset(path, sample_size=5000, batch_size=300) == expected
    shifted = df.assign(x=df["x"] + 0.5)
    cur = tmp_path / "current.csv"
    shifted.to_csv(cur, index=False)
    streamed = compare_dataset(expected, cur, batch_size=333)
    in_memory = kd.compare(expected, pd.read_csv(cur, engine="pyarrow"))
    assert streamed["x"].statistic == in_memory["x"].statistic
    assert streamed["x"].current_counts == in_memory["x"].current_counts


def test_only_the_needed_columns_are_read(reference_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, ...]] = []
    original = kfiles._file_batches

    def spy(source: Any, columns: Any, *args: Any, **kwargs: Any) -> Any:
        for batch in original(source, columns, *args, **kwargs):
            seen.append(tuple(batch.schema.names))
            yield batch

    monkeypatch.setattr(kfiles, "_file_batches", spy)
    prof = profile_dataset(reference_file, columns=["plan", "normal"], sample_size=100)
    assert set(seen) == {("plan", "normal"), ("normal",)}  # pass 2 reads the numeric column only
    seen.clear()
    compare_dataset(prof, reference_file, columns=["plan"])
    assert set(seen) == {("plan",)}


def current_frame(seed: int = 1) -> pd.DataFrame:
    cur = mixed_frame(4000, seed=seed)
    cur["normal"] = cur["normal"] + 0.8
    cur.loc[cur.index[:300], "plan"] = "enterprise"  # a value the reference never had
    cur["extra"] = 1.0
    return cur.drop(columns=["city"])


@pytest.mark.parametrize("sample_size", [N, 500])
def test_compare_dataset_equals_in_memory_compare(reference_file: Path, tmp_path: Path, sample_size: int) -> None:
    prof = profile_dataset(reference_file, sample_size=sample_size)
    cur = current_frame()
    path = write(cur, tmp_path / "current.parquet", row_group_size=700)
    streamed = compare_dataset(prof, path, batch_size=450)
    in_memory = kd.compare(prof, pd.read_parquet(path))
    assert [c.column for c in streamed.columns] == [c.column for c in in_memory.columns]
    assert streamed["city"].status == "missing_column" and streamed["extra"].status == "skipped"
    assert streamed.drifted == in_memory.drifted
    assert streamed["plan"].unseen_examples == (("enterprise", 300),)
    assert streamed.columns == in_memory.columns
    assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]


def test_columns_counted_through_pandas_list_unseen_values_as_in_memory(tmp_path: Path) -> None:
    # Decimal columns binned by value take the per-batch pandas path, not the Arrow one.
    prices = [Decimal("1.50"), Decimal("2.25"), Decimal("3.00")]
    reference = tmp_path / "reference.parquet"
    pq.write_table(pa.table({"price": pa.array(prices * 100, pa.decimal128(6, 2))}), reference)
    current = pa.array([prices[0]] * 150 + [Decimal("9.99")] * 40 + [Decimal("7.10")] * 10 + [None] * 5,
                       pa.decimal128(6, 2))
    path = tmp_path / "current.parquet"
    pq.write_table(pa.table({"price": current}), path, row_group_size=64)
    prof = kd.profile(pd.read_parquet(reference))
    assert profile_dataset(reference, sample_size=10, batch_size=40) == prof
    streamed = compare_dataset(prof, path, batch_size=50)
    in_memory = kd.compare(prof, pd.read_parquet(path))
    assert streamed["price"].unseen_examples == ((9.99, 40), (7.1, 10))
    assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]


def test_datetime_column_named_categorical_is_a_clear_error(tmp_path: Path) -> None:
    """Datetimes are binned on the time axis; as categories their values could not be matched."""
    days = pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])
    reference = pd.DataFrame({"day": np.repeat(days, 100)})
    with pytest.raises(kd.ColumnError, match=r"column 'day': datetime columns cannot be binned as categories"):
        kd.profile(reference, categorical=["day"])
    path = tmp_path / "days.parquet"
    reference.to_parquet(path)
    with pytest.raises(kd.ColumnError, match=r"column 'day': datetime columns cannot be binned as categories"):
        profile_dataset(path, categorical=["day"])
    edges = kd.profile(reference, edges={"day": ["2025-01-01", "2025-01-02"]})
    # Below the first day, the first day, the second, the third, after it, missing.
    assert edges["day"].counts == (0, 100, 100, 100, 0, 0)


def test_dictionary_columns_with_full_int8_codes_and_nulls(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    labels = [f"v{i:03d}" for i in range(128)]  # every int8 code used: no room for a null code
    reference = pd.DataFrame({"code": pd.array(rng.choice(labels[:100], 5000), dtype="str")})
    prof = kd.profile(reference, max_categories=20)
    codes = pa.array(np.where(rng.random(3000) < 0.05, None, rng.integers(0, 128, 3000)).tolist(), pa.int8())
    current = pa.table({"code": pa.DictionaryArray.from_arrays(codes, pa.array(labels))})
    path = tmp_path / "codes.parquet"
    pq.write_table(current, path, row_group_size=700)
    streamed = compare_dataset(prof, path, batch_size=256)
    in_memory = kd.compare(prof, pd.read_parquet(path))
    assert streamed["code"].current_counts[-1] == current.column("code").null_count
    assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]


def test_dictionary_columns_without_nulls_across_row_groups(tmp_path: Path) -> None:
    """Strings read as dictionaries and counted by their codes (no nulls: the codes' buffer is
    counted in place); each row group has its own dictionary, with values the reference lacks."""
    rng = np.random.default_rng(21)
    reference = pd.DataFrame({"city": pd.array(rng.choice([f"c{i}" for i in range(40)], 4000), dtype="str")})
    prof = kd.profile(reference, max_categories=25)
    groups = [rng.choice([f"c{i}" for i in range(lo, lo + 30)], 900) for lo in (0, 20, 35)]
    current = pd.DataFrame({"city": pd.array(np.concatenate(groups), dtype="str")})
    path = tmp_path / "cities.parquet"
    current.to_parquet(path, row_group_size=900)
    streamed = compare_dataset(prof, path, batch_size=400)
    in_memory = kd.compare(prof, current)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    assert streamed["city"].current_counts[-2] == int((~current["city"].isin(reference["city"])).sum()) > 0
    assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]


def test_narrow_arrow_number_types_count_as_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"small": rng.integers(-300, 300, 3000), "wide": rng.normal(0, 1e3, 3000),
                              "level": rng.integers(0, 4, 3000)})
    prof = kd.profile(reference, edges={"small": [-200, 0, 100, 250]})
    current = pa.table({
        "small": pa.array(rng.integers(0, 255, 2000), pa.uint8()),
        "wide": pa.array(rng.normal(0, 1e3, 2000), pa.float32()),
        "level": pa.array(rng.integers(0, 6, 2000), pa.uint64()),
    })
    path = tmp_path / "narrow.parquet"
    pq.write_table(current, path, row_group_size=500)
    streamed = compare_dataset(prof, path, batch_size=300)
    in_memory = kd.compare(prof, pd.read_parquet(path))
    for name in ("small", "wide", "level"):
        assert streamed[name].current_counts == in_memory[name].current_counts, name
        assert streamed[name].statistic == in_memory[name].statistic, name


def test_compare_dataset_passes_options_and_columns(reference_file: Path, tmp_path: Path) -> None:
    prof = kd.profile(pd.read_parquet(reference_file))
    path = write(current_frame(2), tmp_path / "current.parquet")
    options = {"direction": "symmetric", "base": 2, "smoothing": 0.1, "threshold": 0.02, "columns": ["normal", "flag"]}
    streamed = compare_dataset(prof, path, **options)
    in_memory = kd.compare(prof, pd.read_parquet(path), **options)
    assert streamed.to_frame()[["statistic", "status"]].equals(in_memory.to_frame()[["statistic", "status"]])


def test_compare_dataset_reports_a_type_mismatch_like_in_memory(reference_file: Path, tmp_path: Path) -> None:
    prof = kd.profile(pd.read_parquet(reference_file), columns=["normal", "plan"])
    cur = pd.DataFrame({"normal": pd.array(["x", "y"] * 500, dtype="str"), "plan": ["basic"] * 1000})
    path = write(cur, tmp_path / "current.parquet")
    for drift_share in (None, 1.0):
        streamed = compare_dataset(prof, path, drift_share=drift_share)
        in_memory = kd.compare(prof, pd.read_parquet(path), drift_share=drift_share)
        assert streamed["normal"].status == in_memory["normal"].status == "type_mismatch"
        # The same reason, naming the file and its Arrow type (pandas 2 and 3 name and store strings differently).
        dtype = pd.read_parquet(path)["normal"].dtype
        arrow_type = pq.read_schema(path).field("normal").type
        assert in_memory["normal"].reason == f"column 'normal': the reference is numeric but the current column is string ({dtype})"
        assert streamed["normal"].reason == (
            f"column 'normal' in file {path}: the reference is numeric but the current column is string ({arrow_type})"
        )
        assert streamed.drifted == in_memory.drifted


def test_degenerate_columns_warn_as_in_memory(tmp_path: Path) -> None:
    df = pd.DataFrame({"constant": [3.5] * 500, "empty": pd.array([None] * 500, dtype="Float64"),
                       "ok": np.arange(500.0)})
    path = write(df, tmp_path / "degenerate.parquet", row_group_size=100)
    with pytest.warns(kd.KlDriftWarning) as streamed_warnings:
        streamed = profile_dataset(path, sample_size=50, batch_size=100)
    with pytest.warns(kd.KlDriftWarning) as in_memory_warnings:
        in_memory = kd.profile(pd.read_parquet(path))
    assert sorted((w.category.__name__, str(w.message)) for w in streamed_warnings) == sorted(
        (w.category.__name__, str(w.message)) for w in in_memory_warnings
    )
    assert streamed["constant"] == in_memory["constant"] and streamed["empty"] == in_memory["empty"]


def test_streamed_profile_round_trips_through_json(reference_file: Path, tmp_path: Path) -> None:
    prof = profile_dataset(reference_file, sample_size=300)
    prof.save(tmp_path / "profile.json")
    loaded = kd.ReferenceProfile.load(tmp_path / "profile.json")
    assert loaded == prof and loaded.settings["sample_size"] == 300


def test_bad_input_gives_clear_errors(reference_file: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        profile_dataset(tmp_path / "missing.parquet")
    with pytest.raises(FileNotFoundError, match="the pattern matches no file"):
        profile_dataset(str(tmp_path / "*.parquet"))
    (tmp_path / "data.bin").write_bytes(b"")
    with pytest.raises(ValueError, match="format='parquet'"):
        open_dataset(tmp_path / "data.bin")
    with pytest.raises(kd.ColumnError, match="'nope'.*not in the reference data"):
        profile_dataset(reference_file, columns=["nope"])
    with pytest.raises(kd.ColumnError, match="'nope'.*named in `bins`"):
        profile_dataset(reference_file, bins={"nope": 3})
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        profile_dataset(reference_file, batch_size=0)
    with pytest.raises(ValueError, match="`sample_size` must be a positive integer"):
        profile_dataset(reference_file, sample_size=-1)
    with pytest.raises(kd.ColumnError, match="'normal'.*strictly increasing"):
        profile_dataset(reference_file, edges={"normal": [2, 1]})
    with pytest.raises(TypeError, match="must be a ReferenceProfile"):
        compare_dataset(pd.read_parquet(reference_file), reference_file)
    with pytest.raises(kd.ColumnError, match="'nope'.*not in the reference profile"):
        compare_dataset(kd.profile(pd.read_parquet(reference_file)), reference_file, columns=["nope"])
    empty = write(mixed_frame().iloc[:0], tmp_path / "empty.parquet")
    with pytest.raises(kd.EmptyDataError, match="reference data has no rows"):
        profile_dataset(empty)
    with pytest.raises(kd.EmptyDataError, match="current data has no rows"):
        compare_dataset(kd.profile(pd.read_parquet(reference_file)), empty)


def test_integers_with_negative_fractional_edges_are_counted_exactly(tmp_path: Path) -> None:
    values = pd.DataFrame({"x": np.arange(-5, 5)})
    path = write(values, tmp_path / "ints.parquet", row_group_size=4)
    prof = kd.profile(values, edges={"x": [-2.5, 1.5]})
    # Independent count: -5..-3 are <= -2.5, -2..1 are in (-2.5, 1.5], 2..4 above, up to the
    # maximum 4; nothing below the minimum -5 or above 4.
    assert prof["x"].counts == (0, 3, 4, 3, 0, 0)
    assert profile_dataset(path, edges={"x": [-2.5, 1.5]}, sample_size=2, batch_size=3)["x"].counts == (0, 3, 4, 3, 0, 0)
    assert compare_dataset(prof, path, batch_size=3)["x"].current_counts == (0, 3, 4, 3, 0, 0)


def test_progress_is_reported_per_counted_batch(tmp_path: Path) -> None:
    rng = np.random.default_rng(21)
    frame = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(list("abc"), 5000)})
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, row_group_size=1000)
    seen: list[int] = []
    prof = profile_dataset(path, batch_size=700, progress=seen.append)
    assert sum(seen) in (5000, 10000)  # one or two passes over every row
    seen.clear()
    compare_dataset(prof, path, batch_size=700, progress=seen.append)
    assert sum(seen) == 5000 and all(0 < n <= 700 for n in seen)


# --------------------------------------------------------------------------- several files, each with its own schema


def read_whole(paths: list[Path]) -> pd.DataFrame:
    """The files as pandas reads them, one after the other (index columns become the index)."""
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


def test_pandas_index_columns_are_not_data(tmp_path: Path) -> None:
    whole = mixed_frame(3000, seed=8)
    filtered = whole[whole["normal"] > 9.0]  # a filtered frame: its index is stored as a column
    filtered.to_parquet(tmp_path / "a.parquet")
    assert "__index_level_0__" in pq.read_schema(tmp_path / "a.parquet").names
    whole.iloc[:1000].to_parquet(tmp_path / "b.parquet")  # a RangeIndex: stored as metadata only
    whole.iloc[1000:2000].set_index("city").to_parquet(tmp_path / "c.parquet")  # a named index
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"]
    frame = read_whole(paths)
    assert "__index_level_0__" not in frame.columns
    expected = kd.profile(frame)
    streamed = profile_dataset(paths, sample_size=10_000, batch_size=333)
    assert streamed == expected
    assert streamed.names == expected.names and "__index_level_0__" not in streamed.names
    for path in paths:
        single = profile_dataset(path, sample_size=10_000)
        assert single == kd.profile(pd.read_parquet(path))
    current = whole.iloc[2000:]
    current[current["ints"] > 100].to_parquet(tmp_path / "current.parquet")
    report = compare_dataset(expected, [tmp_path / "current.parquet", tmp_path / "a.parquet"], batch_size=500)
    in_memory = kd.compare(expected, read_whole([tmp_path / "current.parquet", tmp_path / "a.parquet"]))
    assert report.to_dict()["columns"] == in_memory.to_dict()["columns"]
    # The named index "city" is in two files' data but stored as the index of c.parquet: missing rows there.
    assert streamed["city"].counts[-1] == 1000


def test_an_index_column_asked_for_by_name_is_a_clear_error(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": np.arange(10.0)})
    df[df["x"] % 3 != 0].to_parquet(tmp_path / "a.parquet")
    with pytest.raises(kd.ColumnError, match=r"'__index_level_0__'.*stores it as the pandas index"):
        profile_dataset(tmp_path / "a.parquet", columns=["__index_level_0__"])


def test_a_column_double_in_one_file_and_string_in_the_next_is_a_type_mismatch(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"amount": rng.normal(50, 10, 2000), "plan": rng.choice(["a", "b"], 2000)})
    prof = kd.profile(reference)
    first = pd.DataFrame({"amount": rng.normal(50, 10, 800), "plan": rng.choice(["a", "b"], 800)})
    # Numbers written as strings: a cast would read them as numbers and score "ok".
    second = pd.DataFrame({"amount": first["amount"].round(2).astype(str), "plan": rng.choice(["a", "b"], 800)})
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    first.to_parquet(paths[0])
    second.to_parquet(paths[1])
    report = compare_dataset(prof, paths, batch_size=300)
    assert report["amount"].status == "type_mismatch"
    arrow_type = pq.read_schema(paths[1]).field("amount").type  # large_string (pandas 3) or string (pandas 2)
    assert str(arrow_type) in {"string", "large_string"}
    assert report["amount"].reason == (
        f"column 'amount' in file {paths[1]}: the reference is numeric but the current column is string ({arrow_type})"
    )
    assert report["plan"].status == kd.compare(prof, read_whole(paths))["plan"].status
    assert report["plan"].current_counts == kd.compare(prof, read_whole(paths))["plan"].current_counts
    # pandas on the same files agrees that the column does not fit.
    assert kd.compare(prof, read_whole(paths))["amount"].status == "type_mismatch"
    # Whichever file comes first.
    reversed_report = compare_dataset(prof, paths[::-1])
    assert reversed_report["amount"].status == "type_mismatch" and str(paths[1]) in reversed_report["amount"].reason
    # Profiling such files skips the column and says why, naming both files.
    with pytest.warns(kd.SkippedColumnWarning, match=r"column 'amount' skipped: its type differs between files"):
        streamed = profile_dataset(paths)
    assert streamed["amount"].kind == "skipped"
    assert str(paths[0]) in streamed["amount"].reason and str(paths[1]) in streamed["amount"].reason
    assert streamed["plan"] == kd.profile(read_whole(paths), columns=["plan"])["plan"]


def test_a_file_whose_column_is_all_null_of_another_type_counts_as_missing(tmp_path: Path) -> None:
    # The type table's rule: a column of missing values only fits any bins (pandas agrees on the concatenation).
    prof = kd.profile(pd.DataFrame({"amount": np.arange(100.0)}))
    pq.write_table(pa.table({"amount": pa.array(np.arange(0.5, 60.5))}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"amount": pa.array([None] * 40, pa.string())}), tmp_path / "b.parquet")
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    streamed = compare_dataset(prof, paths)
    in_memory = kd.compare(prof, read_whole(paths))
    assert streamed["amount"].status == in_memory["amount"].status != "type_mismatch"
    assert streamed["amount"].current_counts == in_memory["amount"].current_counts
    assert streamed["amount"].current_counts[-1] == 40


def test_numbers_of_different_widths_across_files_count_as_one_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"n": rng.integers(0, 50, 3000).astype(float), "k": rng.integers(0, 5, 3000)})
    paths = [tmp_path / f"{i}.parquet" for i in range(3)]
    pq.write_table(pa.table({"n": pa.array(rng.integers(0, 60, 500), pa.int32()), "k": pa.array(rng.integers(0, 6, 500))}), paths[0])
    pq.write_table(pa.table({"n": pa.array(rng.normal(30, 9, 500)), "k": pa.array(rng.integers(0, 6, 500), pa.uint8())}), paths[1])
    pq.write_table(pa.table({"n": pa.array(rng.integers(0, 60, 500), pa.int64())}), paths[2])  # no "k"
    frame = read_whole(paths)
    for prof in (kd.profile(reference), kd.profile(frame)):
        streamed = compare_dataset(prof, paths, batch_size=128)
        in_memory = kd.compare(prof, frame)
        assert streamed.to_dict()["columns"] == in_memory.to_dict()["columns"]
    assert profile_dataset(paths, sample_size=5000) == kd.profile(frame)
    sampled = profile_dataset(paths, sample_size=100, strategy="uniform")
    assert sampled == kd.profile(frame, strategy="uniform")


def test_count_dataset_is_the_count_table_of_the_whole_data(reference_file: Path, tmp_path: Path) -> None:
    prof = kd.profile(pd.read_parquet(reference_file))
    path = write(current_frame(3), tmp_path / "current.parquet", row_group_size=900)
    table = kds.count_dataset(prof, path, batch_size=400)
    assert isinstance(table, kd.CountTable) and table.engine == "arrow"
    assert table == kd.count(prof, pd.read_parquet(path))
    assert table["city"].problem == "missing_column"
    assert kd.compare(prof, table).to_dict()["columns"] == compare_dataset(prof, path).to_dict()["columns"]


def test_file_names_with_glob_characters_are_used_as_given(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": np.arange(100.0)})
    literal = tmp_path / "data[1].parquet"
    df.to_parquet(literal)
    (tmp_path / "data1.parquet").write_bytes(b"not parquet: a glob would pick this file")
    assert profile_dataset(literal) == kd.profile(df)
    assert compare_dataset(kd.profile(df), literal)["x"].statistic == 0.0
    # A name that does not exist is a pattern: here it matches data1.parquet only.
    with pytest.raises(kd.KlDriftError, match=r"data1\.parquet: is not a readable Parquet file"):
        profile_dataset(tmp_path / "data[12].parquet")


@pytest.mark.parametrize("sample_size", [10_000, 50])
def test_columns_absent_from_the_first_file_profile_as_the_concatenated_frame(tmp_path: Path, sample_size: int) -> None:
    rng = np.random.default_rng(9)
    first = pd.DataFrame({"x": rng.normal(size=700)})
    second = pd.DataFrame({
        "x": rng.normal(size=900), "k": rng.integers(0, 4, 900), "s": rng.choice(["u", "v"], 900),
        "flag": rng.random(900) < 0.5, "big": rng.integers(0, 10**6, 900),
    })  # fmt: skip
    paths = [tmp_path / "1.parquet", tmp_path / "2.parquet"]
    first.to_parquet(paths[0])
    second.to_parquet(paths[1])
    whole = read_whole(paths)
    # pandas.concat: integers with missing rows become floats, booleans objects; strings keep
    # the pandas version's default string dtype ("str" in pandas 3, "object" in pandas 2).
    text = str(pd.Series(["u"]).dtype)
    assert whole.dtypes.astype(str).to_dict() == {"x": "float64", "k": "float64", "s": text, "flag": "object", "big": "float64"}
    expected = kd.profile(whole, strategy="uniform")
    streamed = profile_dataset(paths, sample_size=sample_size, batch_size=256, strategy="uniform")
    assert streamed == expected
    assert [c.dtype for c in streamed.columns] == [c.dtype for c in expected.columns]
    assert streamed["s"].counts[-1] == streamed["k"].counts[-1] == 700
    report = compare_dataset(expected, paths)
    assert report.to_dict()["columns"] == kd.compare(expected, whole).to_dict()["columns"]
