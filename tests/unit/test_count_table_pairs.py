"""A CountTable holding pair counts (as kl_drift.spark.count makes it) is compared like rows.

Pair counts of chunks add, so tables of partitions merge; `kd.compare(prof, table)` scores
a table's pairs exactly as it scores the rows they were counted from.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift.errors import IncompatibleProfilesError
from kl_drift.pairs import count_pairs


def data(n: int, seed: int, *, decoupled: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = a + rng.normal(size=n)
    if decoupled:
        b = rng.permutation(b)
    return pd.DataFrame({"a": a, "b": b, "c": np.where(a > 0.5, "hi", "lo")})


def with_pairs(prof: kd.ReferenceProfile, frame: pd.DataFrame) -> kd.CountTable:
    return replace(kd.count(prof, frame, pairs=()), pairs=count_pairs(frame, prof, prof.pairs))


def columns_only(prof: kd.ReferenceProfile, frame: pd.DataFrame) -> kd.CountTable:
    return replace(kd.count(prof, frame), pairs=())


def test_a_table_with_pair_counts_compares_as_its_rows_and_merges() -> None:
    prof = kd.profile(data(4000, 1), pairs=[("a", "b"), ("c", "b")])
    current = data(3000, 2, decoupled=True)
    table = with_pairs(prof, current)
    expected = kd.compare(prof, current)
    got = kd.compare(prof, table)
    assert got.pairs == expected.pairs and got.pairs[("a", "b")].drifted
    halves = with_pairs(prof, current.iloc[:1000]).merge(with_pairs(prof, current.iloc[1000:]))
    assert halves.pairs == table.pairs and kd.compare(prof, halves).pairs == expected.pairs
    assert table.to_dict()["pairs"] == [p.to_dict() for p in table.pairs]
    # A pair one side could not count is left out of the sum; other 2-D bins are an error.
    assert table.merge(replace(table, pairs=table.pairs[1:])).pairs == tuple(p.merge(p) for p in table.pairs[1:])
    assert table.merge(columns_only(prof, current)).pairs == ()
    other = kd.profile(data(400, 3), pairs=[("a", "b")])
    with pytest.raises(IncompatibleProfilesError, match="2-D bins"):
        table.merge(replace(table, pairs=(other.pairs[0], *table.pairs[1:])))
    # A pair the table lacks is skipped; a table without pair counts compares none, as before.
    partial = kd.compare(prof, replace(table, pairs=table.pairs[:1]))
    assert (
        partial.pairs[("c", "b")].status == "skipped"
        and partial.pairs[("a", "b")].interaction == expected.pairs[("a", "b")].interaction
    )
    assert not kd.compare(prof, columns_only(prof, current)).pairs
    assert "pairs" not in columns_only(prof, current).to_dict()
    with pytest.raises(ValueError, match="column counts only"):
        kd.compare(prof, columns_only(prof, current), pairs="auto")


def test_kd_count_counts_the_profiles_pairs_in_the_column_pass() -> None:
    # kd.count takes the paired columns' group codes from its column pass; count_pairs
    # places every row again on its own: both must give the same cells.
    prof = kd.profile(data(4000, 1), pairs=[("a", "b"), ("c", "b")])
    current = data(3000, 2, decoupled=True)
    table = kd.count(prof, current)
    assert table.pairs == count_pairs(current, prof, prof.pairs)
    assert sum(map(sum, table.pairs[0].counts)) == len(current)
    assert kd.compare(prof, table).pairs == kd.compare(prof, current).pairs
    chunks = kd.count(prof, current.iloc[:1200]).merge(kd.count(prof, current.iloc[1200:]))
    assert chunks.pairs == table.pairs
    # Chosen as compare chooses them: named pairs, pairs of `columns`, none asked for.
    assert [p.columns for p in kd.count(prof, current, pairs=[("c", "b")]).pairs] == [("c", "b")]
    assert [p.columns for p in kd.count(prof, current, columns=["a", "b"]).pairs] == [("a", "b")]
    assert kd.count(prof, current, pairs=()).pairs == ()
    with pytest.raises(kd.ColumnError, match="no pair counts for"):
        kd.count(prof, current, pairs=[("a", "c")])
    # A paired column missing from the data leaves its pair out, and compare says why.
    missing = kd.count(prof, current.drop(columns="c"))
    assert [p.columns for p in missing.pairs] == [("a", "b")]
    report = kd.compare(prof, missing)
    assert report.pairs[("c", "b")].status == "skipped" and "'c'" in report.pairs[("c", "b")].reason
