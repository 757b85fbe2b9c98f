"""Pair counts of Parquet streams: batch by batch, equal to the in-memory path.

``kd.profile_dataset(..., pairs=...)`` and ``kd.compare_dataset`` count the pairs' 2-D
cells one record batch at a time (``kl_drift/_engines/arrow_pairs.py``); counts add, so
profiles and reports equal ``kd.profile`` / ``kd.compare`` of the whole table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._engines import arrow_pairs
from kl_drift.dataset import compare_dataset, profile_dataset


def quietly(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return func(*args, **kwargs)


def table(n: int, seed: int, *, decoupled: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = x + 0.4 * rng.normal(size=n)
    if decoupled:
        y = rng.permutation(y)
    level = np.where(x + 0.5 * rng.normal(size=n) > 0.3, "high", np.where(x < -1, "low", "mid")).astype(object)
    level[rng.random(n) < 0.03] = None
    return pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.02, np.nan, x),
            "y": y,
            "level": level,
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.round((x + 5) * 1000), unit="min"),
            "count": rng.poisson(np.exp(1 + 0.3 * x)).astype("int64"),
            "noise": rng.exponential(size=n),
        }
    )


def write(frame: pd.DataFrame, folder, parts: int = 3) -> str:
    folder.mkdir()
    for i, piece in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[piece].to_parquet(folder / f"part-{i}.parquet", index=False)
    return str(folder)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[pd.DataFrame, str]:
    frame = table(60_000, seed=1)
    path = write(frame, tmp_path_factory.mktemp("pairs") / "ref")
    # The frame as the stream reads it back (Arrow types to pandas), in the same row order.
    return pd.read_parquet(path), path


@pytest.mark.parametrize("batch_size", [997, 65_536])
def test_auto_profile_of_a_stream_equals_the_in_memory_profile(reference, batch_size) -> None:
    frame, path = reference
    streamed = quietly(profile_dataset, path, pairs="auto", batch_size=batch_size, sample_size=100_000)
    in_memory = quietly(kd.profile, frame, pairs="auto")
    assert streamed == in_memory
    assert len(in_memory.pairs) >= 3, "the ranking sample (50,000 of 60,000 rows) must pick the related pairs"
    assert streamed.pairs == in_memory.pairs
    assert streamed.settings["pairs"] == "auto"
    assert sum(map(sum, streamed.pairs[0].counts)) == len(frame)


def test_named_pairs_of_a_stream(reference) -> None:
    frame, path = reference
    named = [("level", "x"), ("when", "count")]
    streamed = quietly(profile_dataset, path, pairs=named, batch_size=4096, sample_size=100_000)
    assert [p.columns for p in streamed.pairs] == named
    assert streamed.pairs == quietly(kd.profile, frame, pairs=named).pairs
    with pytest.raises(kd.ColumnError, match="nope"):
        quietly(profile_dataset, path, pairs=[("x", "nope")], sample_size=100_000)


def test_compare_dataset_scores_the_pairs_as_compare_does(reference, tmp_path) -> None:
    frame, path = reference
    prof = quietly(kd.profile, frame, pairs="auto")
    current = table(30_000, seed=2, decoupled=True)
    current_path = write(current, tmp_path / "cur", parts=2)
    streamed = quietly(compare_dataset, prof, current_path, batch_size=5000, threshold="auto")
    in_memory = quietly(kd.compare, prof, pd.read_parquet(current_path), threshold="auto")
    assert list(streamed.pairs) == list(in_memory.pairs)
    for key, pair in in_memory.pairs.items():
        assert streamed.pairs[key].to_dict() == pair.to_dict()
    assert streamed.pairs[("x", "y")].drifted and streamed["y"].status == "ok"
    # Only the named pair, and none when the columns leave the pairs out.
    one = quietly(compare_dataset, prof, current_path, pairs=[("y", "x")])
    assert list(one.pairs) == [("x", "y")]
    assert not quietly(compare_dataset, prof, current_path, columns=["noise"]).pairs


def test_a_pair_whose_column_the_stream_lacks_is_skipped(reference, tmp_path) -> None:
    frame, _ = reference
    prof = quietly(kd.profile, frame, pairs=[("x", "y"), ("level", "count")])
    current_path = write(table(5000, seed=3).drop(columns="y"), tmp_path / "cur", parts=2)
    report = quietly(compare_dataset, prof, current_path)
    assert report.pairs[("x", "y")].status == "skipped" and "'y'" in report.pairs[("x", "y")].reason
    assert report.pairs[("level", "count")].status in ("ok", "warn", "drift")
    assert report.pairs[("level", "count")].n_current == 5000


def test_counts_add_over_batches(reference) -> None:
    frame, path = reference
    prof = quietly(kd.profile, frame, pairs="auto")
    counts = [arrow_pairs.count_pairs(prof, path, prof.pairs, batch_size=size) for size in (1000, 7919, 100_000)]
    assert counts[0] == counts[1] == counts[2] == prof.pairs


def test_count_dataset_counts_the_pairs_in_the_column_pass(reference, tmp_path) -> None:
    """The pair cells come from the batches the column count reads (one pass): equal to the
    pandas counts of the whole table, with a file lacking a paired column counted as missing
    there (as pandas.concat gives) and tables of two sources merging."""
    from kl_drift.dataset import count_dataset
    from kl_drift.pairs import count_pairs

    frame, path = reference
    prof = quietly(kd.profile, frame, pairs=[("x", "y"), ("level", "when"), ("count", "x")])
    current = table(9000, seed=5, decoupled=True)
    folder = tmp_path / "cur"
    folder.mkdir()
    current.iloc[:4000].to_parquet(folder / "a.parquet", index=False)
    current.iloc[4000:].drop(columns="level").to_parquet(folder / "b.parquet", index=False)
    whole = pd.concat([pd.read_parquet(folder / "a.parquet"), pd.read_parquet(folder / "b.parquet")], ignore_index=True)
    assert whole["level"].isna().sum() >= 5000
    counted = quietly(count_dataset, prof, str(folder), batch_size=1500)
    assert counted.pairs == count_pairs(whole, prof, prof.pairs)
    assert quietly(count_dataset, prof, str(folder), columns=["x", "y"]).pairs == count_pairs(whole, prof, prof.pairs[:1])
    assert quietly(count_dataset, prof, str(folder), pairs=[("x", "count")]).pairs == count_pairs(whole, prof, prof.pairs[2:])
    # Counted apart, the file without "level" makes it a missing column, and its pair is left out.
    halves = quietly(count_dataset, prof, str(folder / "a.parquet")).merge(
        quietly(count_dataset, prof, str(folder / "b.parquet"))
    )
    assert halves["level"].problem == "missing_column"
    assert halves.pairs == (counted.pairs[0], counted.pairs[2])
    report = quietly(kd.compare, prof, counted)
    assert [p.to_dict() for p in report.pairs.values()] == [p.to_dict() for p in quietly(kd.compare, prof, whole).pairs.values()]
    assert report.pairs[("x", "y")].drifted
    # A paired column whose values do not fit in a file: the pair is left out, reported skipped.
    bad = tmp_path / "bad"
    bad.mkdir()
    current.iloc[:100].assign(x=current["x"].iloc[:100].astype(str)).to_parquet(bad / "a.parquet", index=False)
    report = quietly(compare_dataset, prof, str(bad))
    assert report["x"].status == "type_mismatch" and report.pairs[("x", "y")].status == "skipped"
    assert "x" in report.pairs[("x", "y")].reason and report.pairs[("level", "when")].status != "skipped"


def test_arrow_group_codes_equal_the_pandas_ones() -> None:
    """The stream's shortcut for numbers and dictionary text gives pandas' group codes."""
    import pyarrow as pa

    from kl_drift._engines.arrow_pairs import _arrow_codes
    from kl_drift.pairs import column_groups, group_codes

    rng = np.random.default_rng(7)
    n = 5000
    ints = rng.integers(-50, 50, n)
    text = rng.choice(["a", "b", "c", "d", "e", "f", "g"], n).astype(object)
    prof = quietly(
        kd.profile,
        pd.DataFrame({"i": ints, "f": rng.normal(size=n), "t": text, "big": ints * 2**54}),
        discrete_threshold=0,
        max_categories=4,
    )
    cur_text = np.where(rng.random(n) < 0.05, None, rng.choice(["a", "b", "c", "new", "g"], n)).astype(object)
    floats = rng.normal(size=n)
    floats[:4] = [np.nan, np.inf, -np.inf, 0.0]
    arrays = {
        "i": pa.array(ints, mask=rng.random(n) < 0.1),
        "f": pa.array(floats),
        "t": pa.array(cur_text, type=pa.large_string()).dictionary_encode(),
        "big": pa.array(ints * 2**54 + 1),
    }
    for name, array in arrays.items():
        groups = column_groups(prof[name], prof.n_rows)
        got = _arrow_codes(array, prof[name], groups)
        assert got is not None, name
        expected = group_codes(pa.table({name: array}).to_pandas()[name], prof[name], groups)
        assert np.array_equal(got, expected), name
        assert len(set(got.tolist())) > 2, name


@pytest.mark.parametrize("batch_size", [7001, 131_072])
def test_pairs_in_the_profile_second_pass(reference, batch_size, monkeypatch) -> None:
    """When the sample does not hold every row, named pairs are counted in pass 2 (on full
    bins, merged into groups) and "auto" fetches its ranking rows there: no pass of their
    own for either but the chosen pairs' count. Counts equal pandas' on the profile's bins;
    the chosen pairs are those of the in-memory ranking sample."""
    from kl_drift.pairs import column_groups, count_pairs, plan_pairs

    frame, path = reference
    n = len(frame)

    def no_pass(*args, **kwargs):
        raise AssertionError("a pass of its own")

    named = [("level", "x"), ("when", "count"), ("y", "x")]
    with monkeypatch.context() as patched:
        patched.setattr(arrow_pairs, "_count_pass", no_pass)
        patched.setattr(arrow_pairs, "_frames", no_pass)
        streamed = quietly(profile_dataset, path, pairs=named, batch_size=batch_size, sample_size=20_000)
    assert streamed.settings["sampled"] and [p.columns for p in streamed.pairs] == named
    for pair in streamed.pairs:
        assert pair.groups == tuple(column_groups(streamed[c], n) for c in pair.columns)
    assert streamed.pairs == count_pairs(frame, streamed, streamed.pairs)

    with monkeypatch.context() as patched:
        patched.setattr(arrow_pairs, "_frames", no_pass)
        auto = quietly(profile_dataset, path, pairs="auto", batch_size=batch_size, sample_size=20_000)
    in_memory = plan_pairs(auto.columns, "auto", n, lambda names, rows: {c: frame[c].iloc[rows] for c in names})
    assert len(in_memory) >= 3 and [p.columns for p in auto.pairs] == [p.columns for p in in_memory]
    assert auto.pairs == count_pairs(frame, auto, auto.pairs)
    # The rows fetched in pass 2 are the in-memory sample's, value for value.
    from kl_drift._engines import arrow
    from kl_drift.pairs import auto_columns, sample_rows

    hook = arrow_pairs.FitPairs("auto", 10)
    binning = dict(bins=10, strategy="quantile", edges=None, categorical=(), max_categories=50, discrete_threshold=20)
    prof = quietly(arrow.fit, path, batch_size=batch_size, sample_size=20_000, hook=hook, **binning)
    names = [c.name for c in auto_columns(prof.columns)]
    fetched, rows = hook.sample(names, None), sample_rows(n)
    for name in names:
        pd.testing.assert_series_equal(fetched[name], frame[name].iloc[rows].reset_index(drop=True), check_names=False)
