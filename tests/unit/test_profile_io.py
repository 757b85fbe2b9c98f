"""Saved profiles: exact round trip, strict validation, atomic writes, merge and count."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.profile import _checksum


@pytest.fixture
def every_kind() -> pd.DataFrame:
    """A column of every kind a profile can hold, with missing values and ±inf."""
    rng = np.random.default_rng(5)
    n = 600
    x = rng.normal(size=n)
    x[:4] = [np.inf, -np.inf, np.nan, np.nan]
    when = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    when[::50] = pd.NaT
    return pd.DataFrame(
        {
            "float": x,
            "int": rng.integers(-10**6, 10**6, n),
            "int_nullable": pd.array([*rng.integers(0, 500, n - 3).tolist(), None, None, None], dtype="Int64"),
            "discrete_int": rng.integers(0, 5, n),
            "discrete_float": rng.choice([0.0, 0.25, 0.5], n),
            "text": pd.Series(rng.choice(np.array(["x", "y", "z", "ü", "日本"], dtype=object), n), dtype="string"),
            "text_top_k": rng.choice(np.array([f"c{i}" for i in range(80)], dtype=object), n),
            "category": pd.Categorical(rng.choice(["lo", "mid", "hi"], n)),
            "flag": rng.random(n) < 0.3,
            "flag_nullable": pd.array([True, False, None] * (n // 3), dtype="boolean"),
            "when": when,
            "when_tz": when.dt.tz_localize("Europe/Paris", nonexistent="shift_forward", ambiguous="NaT"),
            "mixed": ["a", 1] * (n // 2),
        }
    )


@pytest.fixture
def prof(every_kind) -> kd.ReferenceProfile:
    with pytest.warns(kd.SkippedColumnWarning, match="'mixed'"):
        return kd.profile(every_kind, max_categories=20)


@pytest.fixture
def saved(prof, tmp_path) -> tuple[Path, dict]:
    path = tmp_path / "reference_profile.json"
    prof.save(path)
    return path, json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: dict, *, reseal: bool = False) -> Path:
    """Write an edited profile dict; `reseal` recomputes the checksum to reach later checks."""
    if reseal:
        data["checksum"] = _checksum(data["columns"], data["n_rows"])
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def column(data: dict, name: str) -> dict:
    return next(c for c in data["columns"] if c["name"] == name)


# --- round trip ------------------------------------------------------------------------------


def test_save_load_round_trip_is_exact_for_every_column_kind(prof, saved):
    path, _ = saved
    loaded = kd.ReferenceProfile.load(path)
    assert loaded == prof
    kinds = {c.name: c.kind for c in loaded}
    assert kinds == {
        "float": "numeric",
        "int": "numeric",
        "int_nullable": "numeric",
        "discrete_int": "numeric",
        "discrete_float": "numeric",
        "text": "categorical",
        "text_top_k": "categorical",
        "category": "categorical",
        "flag": "boolean",
        "flag_nullable": "boolean",
        "when": "datetime",
        "when_tz": "datetime",
        "mixed": "skipped",
    }
    for mine, theirs in zip(prof, loaded):
        assert mine.bins == theirs.bins, mine.name
        assert mine.counts == theirs.counts and mine.n_inf == theirs.n_inf
        assert (mine.dtype, mine.reason, mine.labels) == (theirs.dtype, theirs.reason, theirs.labels)
        if isinstance(mine.bins, kd.NumericBins):
            assert [type(e) for e in mine.bins.edges] == [type(e) for e in theirs.bins.edges], mine.name
        if isinstance(mine.bins, kd.CategoricalBins):
            assert [type(c) for c in mine.bins.categories] == [type(c) for c in theirs.bins.categories]
    assert loaded["float"].n_inf == 2
    assert loaded["when_tz"].bins.tz == "Europe/Paris"
    assert loaded.created_at == prof.created_at
    assert loaded.kl_drift_version == prof.kl_drift_version
    assert dict(loaded.settings) == json.loads(json.dumps(dict(prof.settings)))


def test_loaded_profile_compares_like_the_original(prof, saved, every_kind):
    path, _ = saved
    loaded = kd.ReferenceProfile.load(path)
    cur = every_kind.sample(frac=0.5, random_state=1)
    a = kd.compare(prof, cur.drop(columns="mixed"))
    b = kd.compare(loaded, cur.drop(columns="mixed"))
    assert a.columns == b.columns


def test_profile_json_fields(prof, saved, every_kind, strict_loads):
    path, data = saved
    strict_loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "kl_drift.profile"
    assert data["schema_version"] == 2
    assert data["kl_drift_version"] == kd.__version__
    assert pd.Timestamp(data["created_at"]).tzinfo is not None
    assert data["n_rows"] == len(every_kind)
    assert data["checksum"].startswith("sha256:")
    for entry in data["columns"]:
        assert set(entry) >= {"name", "kind", "dtype", "bins", "counts"}
        if entry["kind"] != "skipped":
            assert sum(entry["counts"]) == data["n_rows"]
            assert len(entry["counts"]) == prof[entry["name"]].bins.n_bins
    assert column(data, "float")["dtype"] == "float64"
    assert column(data, "int_nullable")["dtype"] == "Int64"
    assert column(data, "when")["bins"]["datetime"] is True
    assert column(data, "text")["bins"]["type"] == "categorical"
    assert column(data, "mixed")["reason"]


def test_to_json_is_strict_and_from_dict_round_trips(prof, strict_loads):
    assert kd.ReferenceProfile.from_dict(strict_loads(prof.to_json())) == prof
    assert kd.ReferenceProfile.from_dict(prof.to_dict()) == prof


def test_column_profile_dict_round_trip(prof):
    for col in prof:
        assert kd.ColumnProfile.from_dict(col.to_dict()) == col


def test_save_accepts_str_paths_and_creates_folders(prof, tmp_path):
    target = tmp_path / "a" / "b" / "ref.json"
    prof.save(str(target))
    assert kd.ReferenceProfile.load(str(target)) == prof


def test_save_overwrites_an_existing_profile(prof, tmp_path, every_kind):
    path = tmp_path / "ref.json"
    other = kd.profile(every_kind[["float"]])
    other.save(path)
    prof.save(path)
    assert kd.ReferenceProfile.load(path) == prof


# --- strict validation -------------------------------------------------------------------------


def _cut_mid_string(text: str) -> str:
    start = text.index('"dtype": "', len(text) // 2) + len('"dtype": "')
    return text[: start + 2]


def _cut_after_comma(text: str) -> str:
    return text[: text.index(",", len(text) // 2) + 1]


@pytest.mark.parametrize("cut", [_cut_mid_string, _cut_after_comma], ids=["mid-string", "after-comma"])
def test_truncated_file(saved, cut):
    path, _ = saved
    path.write_text(cut(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(kd.ProfileFormatError, match="not valid JSON.*truncated") as info:
        kd.ReferenceProfile.load(path)
    assert str(path) in str(info.value)


def test_not_json(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text("order_id,age\n1,2\n", encoding="utf-8")
    with pytest.raises(kd.ProfileFormatError, match="not valid JSON"):
        kd.ReferenceProfile.load(path)


def test_binary_file(tmp_path):
    path = tmp_path / "ref.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(kd.ProfileFormatError, match="UTF-8"):
        kd.ReferenceProfile.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(kd.ProfileFormatError, match="cannot be read"):
        kd.ReferenceProfile.load(tmp_path / "nope.json")


def test_json_that_is_not_an_object(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(kd.ProfileFormatError, match="JSON object"):
        kd.ReferenceProfile.load(path)


def test_wrong_format_name(saved):
    path, data = saved
    data["format"] = "great_expectations.suite"
    with pytest.raises(kd.ProfileFormatError, match="`format`.*great_expectations.suite"):
        kd.ReferenceProfile.load(write(path, data))


def test_newer_schema_version(saved):
    path, data = saved
    data["schema_version"] = 4  # 3 is the schema of profiles with pair counts
    with pytest.raises(kd.ProfileFormatError, match="schema version 4 is newer than this kl_drift supports \\(3\\).*upgrade"):
        kd.ReferenceProfile.load(write(path, data))


@pytest.mark.parametrize("version", [0, "1", None, True])
def test_unsupported_schema_version(saved, version):
    path, data = saved
    data["schema_version"] = version
    with pytest.raises(kd.ProfileFormatError, match="schema.version"):
        kd.ReferenceProfile.load(write(path, data))


@pytest.mark.parametrize("field", ["n_rows", "columns", "checksum", "created_at", "kl_drift_version"])
def test_missing_top_level_field(saved, field):
    path, data = saved
    del data[field]
    with pytest.raises(kd.ProfileFormatError, match=f"{field}.*[Ff]ield required"):
        kd.ReferenceProfile.load(write(path, data))


@pytest.mark.parametrize("field", ["counts", "bins", "kind", "n_inf"])
def test_missing_column_field(saved, field):
    path, data = saved
    del column(data, "float")[field]
    with pytest.raises(kd.ProfileFormatError, match=f"columns.*{field}.*[Ff]ield required"):
        kd.ReferenceProfile.load(write(path, data))


def test_extra_top_level_field(saved):
    path, data = saved
    data["comment"] = "edited by hand"
    with pytest.raises(kd.ProfileFormatError, match="comment.*[Ee]xtra"):
        kd.ReferenceProfile.load(write(path, data))


def test_extra_column_field(saved):
    path, data = saved
    column(data, "text")["colour"] = "blue"
    with pytest.raises(kd.ProfileFormatError, match="colour.*[Ee]xtra"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_negative_count(saved):
    path, data = saved
    column(data, "float")["counts"][0] = -1
    with pytest.raises(kd.ProfileFormatError, match="counts.*greater than or equal to 0"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_non_integer_count(saved):
    path, data = saved
    column(data, "float")["counts"][0] = 1.5
    with pytest.raises(kd.ProfileFormatError, match="counts"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_counts_length_mismatch(saved):
    path, data = saved
    counts = column(data, "float")["counts"]
    counts[1] += counts.pop(0)
    with pytest.raises(kd.ProfileFormatError, match="'float'.*counts for .* bins"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_counts_that_do_not_sum_to_n_rows(saved):
    path, data = saved
    column(data, "float")["counts"][0] += 1
    with pytest.raises(kd.ProfileFormatError, match="'float'.*n_rows"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_hand_edited_count_fails_the_checksum(saved):
    path, data = saved
    counts = column(data, "float")["counts"]
    counts[0] += 5
    counts[1] -= 5  # totals still add up: only the checksum can tell
    with pytest.raises(kd.ProfileFormatError, match="checksum"):
        kd.ReferenceProfile.load(write(path, data))


def test_hand_edited_edge_fails_the_checksum(saved):
    path, data = saved
    column(data, "float")["bins"]["edges"][0] -= 0.001
    with pytest.raises(kd.ProfileFormatError, match="checksum"):
        kd.ReferenceProfile.load(write(path, data))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_constant(saved, literal):
    path, data = saved
    column(data, "float")["bins"]["edges"][0] = "__HERE__"
    path.write_text(json.dumps(data).replace('"__HERE__"', literal), encoding="utf-8")
    with pytest.raises(kd.ProfileFormatError, match=literal):
        kd.ReferenceProfile.load(path)


def test_nan_edge_in_a_dict_is_rejected(prof):
    data = prof.to_dict()
    column(data, "float")["bins"]["edges"][0] = float("nan")
    data["checksum"] = "sha256:0"
    with pytest.raises(kd.ProfileFormatError, match="edges"):
        kd.ReferenceProfile.from_dict(data)


def test_unsorted_edges(saved):
    path, data = saved
    edges = column(data, "float")["bins"]["edges"]
    edges[0], edges[1] = edges[1], edges[0]
    with pytest.raises(kd.ProfileFormatError, match="'float'.*strictly increasing"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_duplicate_categories(saved):
    path, data = saved
    cats = column(data, "text")["bins"]["categories"]
    cats[1] = cats[0]
    with pytest.raises(kd.ProfileFormatError, match="'text'.*distinct"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_unknown_kind_and_bin_type(saved):
    path, data = saved
    column(data, "float")["kind"] = "complex"
    with pytest.raises(kd.ProfileFormatError, match="kind"):
        kd.ReferenceProfile.load(write(path, copy.deepcopy(data), reseal=True))
    column(data, "float")["kind"] = "numeric"
    column(data, "float")["bins"]["type"] = "histogram"
    with pytest.raises(kd.ProfileFormatError, match="bins"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_duplicate_column_in_file(saved):
    path, data = saved
    data["columns"].append(copy.deepcopy(data["columns"][0]))
    with pytest.raises(kd.ProfileFormatError, match="more than once"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_profile_format_error_is_a_value_error(saved):
    path, data = saved
    data["format"] = "x"
    with pytest.raises(ValueError):
        kd.ReferenceProfile.load(write(path, data))


# --- limits: a hostile or damaged file is a ProfileFormatError, never a crash later -----------


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deeply_nested_json_is_a_format_error(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    with pytest.raises(kd.ProfileFormatError, match="nested too deeply") as info:
        kd.ReferenceProfile.load(path)
    assert str(path) in str(info.value)


def test_deeply_nested_settings_are_a_format_error(saved):
    path, data = saved
    nested: dict = {}
    data["settings"] = {"deep": nested}
    for _ in range(200):  # parses, but nothing a profile writes is this deep
        nested["x"] = {}
        nested = nested["x"]
    with pytest.raises(kd.ProfileFormatError, match="settings: nested deeper than 16"):
        kd.ReferenceProfile.load(write(path, data))


def test_a_file_larger_than_any_profile_is_refused_before_parsing(saved, monkeypatch):
    from kl_drift import _schema

    path, _ = saved
    monkeypatch.setattr(_schema, "MAX_PROFILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(kd.ProfileFormatError, match="is larger than .* MiB") as info:
        kd.ReferenceProfile.load(path)
    assert str(path) in str(info.value)
    monkeypatch.setattr(_schema, "MAX_PROFILE_BYTES", path.stat().st_size)
    assert len(kd.ReferenceProfile.load(path)) == 13


def test_counts_beyond_int64_are_a_format_error(saved):
    path, data = saved
    # Every count and n_rows shifted by the same amount: the sums still agree, only the range is wrong.
    data["n_rows"] += 2**64
    for col in data["columns"]:
        if col["counts"]:
            col["counts"][0] += 2**64
    with pytest.raises(kd.ProfileFormatError, match="n_rows.*less than or equal to 9223372036854775807"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


@pytest.mark.parametrize("field", ["counts", "n_inf"])
def test_a_count_beyond_int64_is_a_format_error(saved, field):
    path, data = saved
    col = column(data, "float")
    if field == "counts":
        col["counts"][0] = 2**63
    else:
        col["n_inf"] = 2**63
    with pytest.raises(kd.ProfileFormatError, match=f"{field}.*less than or equal to 9223372036854775807"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


@pytest.mark.parametrize("edge", [2**63, -(2**63), 2**70])
def test_datetime_edges_beyond_int64_are_a_format_error(saved, edge):
    path, data = saved
    edges = column(data, "when")["bins"]["edges"]
    if edge > 0:
        edges[-1] = edge
    else:
        edges[0] = edge
    with pytest.raises(kd.ProfileFormatError, match="'when'.*datetime edges must be integer nanoseconds"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_datetime_edges_must_be_integers(saved):
    path, data = saved
    edges = column(data, "when")["bins"]["edges"]
    edges[0] = float(edges[0])
    with pytest.raises(kd.ProfileFormatError, match="'when'.*integer nanoseconds"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_numeric_edges_beyond_uint64_are_a_format_error(saved):
    path, data = saved
    column(data, "int")["bins"]["edges"][-1] = 2**1100  # would overflow float conversion
    with pytest.raises(kd.ProfileFormatError, match="edges.*less than or equal to 18446744073709551615"):
        kd.ReferenceProfile.load(write(path, data, reseal=True))


def test_uint64_values_above_int64_still_round_trip(tmp_path):
    frame = pd.DataFrame({"u": np.array([2**64 - 1, 2**63 + 5, 1, 7] * 30, dtype=np.uint64)})
    for prof in (kd.profile(frame), kd.profile(frame, bins=2, discrete_threshold=0)):
        prof.save(tmp_path / "u.json")
        loaded = kd.ReferenceProfile.load(tmp_path / "u.json")
        assert loaded == prof
        assert kd.compare(loaded, frame)["u"].status == "ok"


def test_bins_have_a_documented_upper_bound():
    from kl_drift.profile import MAX_BINS

    frame = pd.DataFrame({"x": np.arange(500.0)})
    for bins in (MAX_BINS + 1, 1_000_000_000):
        with pytest.raises(ValueError, match=f"`bins` must be at most {MAX_BINS:,} bins, got {bins}"):
            kd.profile(frame, bins=bins)
    with pytest.raises(ValueError, match=r"`bins\['x'\]` must be at most"):
        kd.profile(frame, bins={"x": 10**9})
    with pytest.warns(kd.SmallSampleWarning):
        # 500 values: an edge at each but the last, one just below the minimum, and the tails.
        assert len(kd.profile(frame, bins=MAX_BINS)["x"].counts) == 503
    # Kept categories allocate nothing up front: no upper bound.
    assert kd.profile(frame, max_categories=10**9)["x"].kind == "numeric"


# --- atomic writes -----------------------------------------------------------------------------


def test_failed_save_keeps_the_previous_file_and_leaves_no_temp_file(prof, tmp_path, monkeypatch, every_kind):
    path = tmp_path / "ref.json"
    old = kd.profile(every_kind[["float", "text"]])
    old.save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        prof.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert kd.ReferenceProfile.load(path) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.json"]


def test_failed_first_save_leaves_nothing(prof, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda *a, **k: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        prof.save(tmp_path / "ref.json")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# --- merge and count ---------------------------------------------------------------------------


def test_merge_adds_counts(prof, every_kind):
    clean = every_kind.drop(columns="mixed")
    base = prof.count(clean)
    twice = base.merge(base)
    assert twice.n_rows == 2 * base.n_rows
    for one, two in zip(base, twice):
        assert two.counts == tuple(2 * c for c in one.counts)
        assert two.n_inf == 2 * one.n_inf
        assert two.bins == one.bins


def test_merge_of_chunks_equals_the_whole(prof, every_kind):
    clean = every_kind.drop(columns="mixed")
    chunks = [clean.iloc[i : i + 170] for i in range(0, len(clean), 170)]
    merged = prof.count(chunks[0])
    for chunk in chunks[1:]:
        merged = merged.merge(prof.count(chunk))
    assert merged == prof.count(clean)
    assert merged == prof


def test_merge_of_profiles_with_different_bins_raises(every_kind):
    a = kd.profile(every_kind[["float", "text"]].iloc[:300])
    b = kd.profile(every_kind[["float", "text"]].iloc[300:])
    with pytest.raises(kd.IncompatibleProfilesError, match="'float'.*different bins.*count"):
        a.merge(b)


def test_merge_of_profiles_with_different_columns_raises(every_kind):
    a = kd.profile(every_kind[["float", "text"]])
    b = kd.profile(every_kind[["text", "float"]])
    with pytest.raises(kd.IncompatibleProfilesError, match="different columns"):
        a.merge(b)
    with pytest.raises(TypeError, match="ReferenceProfile"):
        a.merge(every_kind)


def test_count_gives_the_compare_counts(prof, every_kind):
    cur = every_kind.drop(columns="mixed").iloc[::3]
    counted = prof.count(cur)
    assert counted.n_rows == len(cur)
    report = kd.compare(prof, cur)
    for col in counted:
        if col.kind == "skipped":
            continue
        assert col.bins == prof[col.name].bins
        assert col.counts == report[col.name].current_counts


def test_count_requires_the_profiled_columns(prof, every_kind):
    with pytest.raises(kd.ColumnError, match="'float'.*not in the data"):
        prof.count(every_kind.drop(columns=["float"]))


def test_compare_with_a_counted_profile_equals_compare_with_the_frame(prof, every_kind):
    cur = every_kind.drop(columns="mixed").sample(frac=0.7, random_state=3)
    cur = cur.assign(float=cur["float"] + 0.3)
    direct = kd.compare(prof, cur)
    counted = kd.compare(prof, prof.count(cur))
    assert direct.columns == counted.columns
    assert direct.drifted == counted.drifted
    assert direct.n_current == counted.n_current


def test_compare_with_a_counted_profile_of_other_bins_raises(every_kind):
    a = kd.profile(every_kind[["float"]].iloc[:300])
    b = kd.profile(every_kind[["float"]].iloc[300:])
    with pytest.raises(kd.IncompatibleProfilesError, match="'float'"):
        kd.compare(a, b)


def test_profile_equality_ignores_metadata(every_kind):
    a = kd.profile(every_kind[["float"]])
    b = kd.ReferenceProfile(a.columns, a.n_rows, created_at="2000-01-01T00:00:00+00:00", kl_drift_version="0.0.1")
    assert a == b
    assert a != kd.ReferenceProfile(a.columns, a.n_rows + 1)


def test_counts_from_another_engine_plug_in_as_a_profile(prof, every_kind):
    """An engine builds ColumnProfiles with the reference's bins and its own counts."""
    cur = every_kind.drop(columns="mixed").iloc[100:400]
    columns = []
    for col in prof:
        if col.bins is None:
            continue
        counted = col.count(cur[col.name])
        columns.append(dataclasses.replace(col, counts=counted.counts, n_inf=counted.n_inf))
    engine_profile = kd.ReferenceProfile(tuple(columns), len(cur))
    via_engine = kd.compare(prof, engine_profile)
    direct = kd.compare(prof, cur)
    for name in engine_profile.names:
        assert via_engine[name] == direct[name], name


def test_profile_container_api(prof):
    assert prof.names[0] == "float"
    assert "float" in prof and "nope" not in prof
    assert len(prof) == len(prof.names)
    assert [c.name for c in prof] == list(prof.names)
    with pytest.raises(KeyError, match="'nope'"):
        prof["nope"]
    assert repr(prof).startswith("ReferenceProfile(n_rows=600, columns=[float:numeric")
    with pytest.raises(kd.ColumnError, match="more than once"):
        kd.ReferenceProfile((prof["float"], prof["float"]), prof.n_rows)


def test_decimal_categories_can_be_saved(tmp_path, strict_loads):
    """Low-cardinality Decimal columns (e.g. from SQL) bin by value and must still save as JSON."""
    from decimal import Decimal

    df = pd.DataFrame({"price": pd.Series([Decimal("1.50"), Decimal("2.25"), None] * 10, dtype=object)})
    prof = kd.profile(df)
    strict_loads(prof.to_json())
    prof.save(tmp_path / "ref.json")
    loaded = kd.ReferenceProfile.load(tmp_path / "ref.json")
    assert loaded.count(df) == loaded
    assert kd.compare(loaded, df)["price"].statistic == 0.0


def test_counted_profile_equals_the_frame_with_unseen_values():
    """Counts made elsewhere (profile.count, Spark, SQL) must score like the DataFrame itself."""
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"c": rng.choice(np.array(list("abcd"), dtype=object), 2000)})
    cur = pd.DataFrame({"c": [*rng.choice(np.array(list("abcd"), dtype=object), 500), "e", "e", "f", "g", "h"]})
    prof = kd.profile(ref)
    direct = kd.compare(prof, cur)["c"]
    counted = kd.compare(prof, prof.count(cur))["c"]
    assert counted.current_counts == direct.current_counts
    assert counted.statistic == direct.statistic
    assert counted.pvalue == direct.pvalue
    assert counted.status == direct.status


def test_a_profile_with_unlisted_pooled_values_rebuilds_from_its_own_dict():
    """More pooled values than the bins list (10,000): the histogram of the rest must survive
    to_dict -> from_dict without a JSON trip (GE expectations pass the dict itself)."""
    values = np.array([f"id{i}" for i in range(10_500)] + ["a"] * 50, dtype=object)
    prof = kd.profile(pd.DataFrame({"c": values}), max_categories=1)
    pooled = prof["c"].pooled
    assert pooled is not None and pooled.unlisted == ((1, 500),) and pooled.sketch is not None
    assert kd.ReferenceProfile.from_dict(prof.to_dict()) == prof
    assert kd.ReferenceProfile.from_dict(json.loads(prof.to_json())) == prof
