"""Every engine's report equals the pandas engine's on the conformance catalogue.

For each engine and case, ``kd.compare(profile, engine_counts)`` must equal
``kd.compare(profile, current_df)`` column by column: status, counts, ±inf, statistic and
p-value (to 1e-12), the share of novel values, the unseen values named, and for problems
the wording of the reason. Where an engine cannot represent a case, `DIFFERENCES` says what
it reports instead and that is asserted, never skipped.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

import kl_drift as kd
from kl_drift.report import ColumnDrift

from .adapters import write_parquet_parts
from .catalogue import (
    CASES,
    DIFFERENCES,
    ENGINES,
    Case,
    Difference,
    assert_names_types,
    groups,
    pandas_result,
    pandas_table,
    reference_profile,
)

TOLERANCE = 1e-12
STREAMS = ("parquet", "parquet_index", "csv")


def _type_words(reason: str) -> str:
    """A type mismatch reason without the column prefix and the storage type in parentheses:
    "the reference is numeric but the current column is string" (the class every engine shares)."""
    text = reason[reason.index("the reference") :] if "the reference" in reason else reason
    return re.sub(r"\s*\([^()]*\)\s*$", "", text)


def assert_same(expected: ColumnDrift, got: ColumnDrift, engine: str) -> None:
    where = f"{engine}, column {expected.column!r}"
    assert got.status == expected.status, f"{where}: status {got.status!r} ({got.reason}), pandas {expected.status!r}"
    assert got.n_reference == expected.n_reference, where
    assert got.n_current == expected.n_current, f"{where}: {got.n_current} current rows, pandas {expected.n_current}"
    assert got.reference_counts == expected.reference_counts, where
    assert got.current_counts == expected.current_counts, (
        f"{where}: counts differ\n  bins   {expected.bin_labels}\n  {engine:6} {got.current_counts}\n  pandas {expected.current_counts}"
    )
    assert got.n_inf_current == expected.n_inf_current, f"{where}: n_inf {got.n_inf_current}, pandas {expected.n_inf_current}"
    assert got.unseen_examples == expected.unseen_examples, f"{where}: unseen {got.unseen_examples}, pandas {expected.unseen_examples}"
    if expected.statistic is None:
        assert got.statistic is None and got.pvalue is None, where
    else:
        assert got.statistic == pytest.approx(expected.statistic, abs=TOLERANCE, rel=0), where
        assert got.pvalue == pytest.approx(expected.pvalue, abs=TOLERANCE, rel=0), f"{where}: p {got.pvalue}, pandas {expected.pvalue}"
        assert got.pvalue_method == expected.pvalue_method, where
    assert got.novel_fraction == expected.novel_fraction, where
    if expected.status == "type_mismatch":
        assert_names_types(got.reason, expected.column)
        assert _type_words(got.reason) == _type_words(expected.reason), f"{where}: {got.reason!r} vs pandas {expected.reason!r}"
        if engine in STREAMS:
            assert re.search(r"\.(parquet|csv)\b", got.reason), f"{where}: a stream's reason names the file: {got.reason!r}"
    else:
        assert got.reason == expected.reason, f"{where}: reason {got.reason!r}, pandas {expected.reason!r}"


def assert_difference(expected: ColumnDrift, got: ColumnDrift, engine: str, difference: Difference) -> None:
    where = f"{engine}, column {expected.column!r}"
    assert got.status == difference.status, f"{where}: status {got.status!r} ({got.reason}), documented {difference.status!r}"
    assert got.status != expected.status or got.current_counts != expected.current_counts, (
        f"{where}: now equals pandas; remove the documented difference"
    )
    text = (got.reason or "").lower()
    for word in difference.reason_has:
        assert word.lower() in text, f"{where}: reason {got.reason!r} lacks {word!r}"
    if difference.status == "type_mismatch":
        assert_names_types(got.reason, expected.column)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_catalogue_shows_what_it_claims(case: Case) -> None:
    """The pandas engine's result shows each case's point (so the catalogue keeps testing it)."""
    report, _ = pandas_result(case.group)
    for column in case.columns:
        case.check(report[column], reference_profile(case.group))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_engine_equals_pandas(engine: str, case: Case, counted) -> None:
    expected, _ = pandas_result(case.group)
    got = counted(engine, case.group).report
    difference = DIFFERENCES.get((engine, case.name))
    table, expected_table = counted(engine, case.group).table, pandas_table(case.group)
    for column in case.columns:
        if difference is not None and (not difference.columns or column in difference.columns):
            assert_difference(expected[column], got[column], engine, difference)
            continue
        assert_same(expected[column], got[column], engine)
        if expected_table[column].problem is None:
            # Every unseen value with its count, not only the report's first few.
            assert table[column].unseen == expected_table[column].unseen, f"{engine}, column {column!r}: unseen values differ"
            assert table[column].unseen_complete == expected_table[column].unseen_complete, column


def documented_columns(engine: str, group: str) -> set[str]:
    """Columns of `group` for which `engine` has a documented difference."""
    found = set()
    for case in CASES:
        difference = DIFFERENCES.get((engine, case.name))
        if case.group == group and difference is not None:
            found |= set(difference.columns or case.columns)
    return found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("group", sorted(groups()))
def test_engine_reports_the_same_columns(engine: str, group: str, counted) -> None:
    """Same columns (no "__index_level_0__" or other storage columns), rows and warnings."""
    expected, expected_warnings = pandas_result(group)
    result = counted(engine, group)
    assert [c.column for c in result.report] == [c.column for c in expected]
    assert result.table.n_rows == expected.n_current
    documented = documented_columns(engine, group)

    def undocumented(messages: tuple[str, ...]) -> list[str]:
        return [m for m in messages if not any(repr(c) in m for c in documented)]

    assert undocumented(result.warnings) == undocumented(expected_warnings)


@pytest.mark.parametrize("engine", ["parquet", "spark"])
@pytest.mark.parametrize("group", sorted(groups()))
def test_engine_profile_equals_pandas_profile(engine: str, group: str, request, tmp_path: Path) -> None:
    """Profiling the reference where it is stored gives the pandas profile's bins and counts,
    when the engine is asked for exact quantiles (a sample of every row, ``relative_error=0``)."""
    reference = groups()[group].reference
    folder = write_parquet_parts(reference, tmp_path / "reference", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        if engine == "parquet":
            from kl_drift.dataset import profile_dataset

            got = profile_dataset(folder, sample_size=len(reference) + 1)
        else:
            from kl_drift import spark as kds

            got = kds.profile(request.getfixturevalue("spark").read.parquet(str(folder)), relative_error=0)
    expected = reference_profile(group)
    assert got.names == expected.names
    assert got.n_rows == expected.n_rows
    for want in expected.columns:
        have = got[want.name]
        where = f"{engine}, column {want.name!r}"
        assert have.bins == want.bins, f"{where}: bins {have.bins}, pandas {want.bins}"
        assert have.counts == want.counts, f"{where}: counts {have.counts}, pandas {want.counts}"
        assert have.n_inf == want.n_inf, where


def test_docs_conformance_table_matches_the_catalogue() -> None:
    """docs/engines.md prints the same departures the suite asserts."""
    from .catalogue import conformance_table

    text = (Path(__file__).parents[2] / "docs" / "engines.md").read_text()
    assert conformance_table() in text, "docs/engines.md's conformance table is out of date: paste catalogue.conformance_table()"
