"""Counts of current data in a profile's bins: the one contract between engines and scoring.

Every engine (pandas, streamed Arrow files, SQL, Spark) turns rows into a `CountTable`
and nothing else; `kl_drift.compare` scores a profile against a count table and never
touches a row. Counts add, so tables of chunks or partitions `merge` into
the table of the whole data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._core.pairs import PairCounts
from .errors import IncompatibleProfilesError

__all__ = ["ColumnCounts", "CountTable", "Problem", "MAX_LISTED_UNSEEN_VALUES", "merge_unseen"]

# At most this many distinct unseen values are listed with their counts (most frequent first).
MAX_LISTED_UNSEEN_VALUES = 10_000

Problem = Literal["missing_column", "type_mismatch", "skipped"]
PROBLEMS: tuple[str, ...] = ("missing_column", "type_mismatch", "skipped")

UnseenList = tuple[tuple[Any, int], ...]


def merge_unseen(a: UnseenList, a_complete: bool, b: UnseenList, b_complete: bool) -> tuple[UnseenList, bool]:
    """Two lists of unseen values with counts, added by value, most frequent first (ties by text)."""
    totals: dict[Any, int] = {}
    for value, count in (*a, *b):
        totals[value] = totals.get(value, 0) + count
    listed = sorted(totals.items(), key=lambda item: (-item[1], str(item[0])))
    complete = a_complete and b_complete and len(listed) <= MAX_LISTED_UNSEEN_VALUES
    return tuple(listed[:MAX_LISTED_UNSEEN_VALUES]), complete


@dataclass(frozen=True)
class ColumnCounts:
    """One current column counted into a reference column's bins, or why it could not be.

    Attributes
    ----------
    name : str
        Column name.
    counts : tuple of int
        Rows per bin, in the order of the reference bins' labels (missing last); empty when
        the column has a `problem`.
    n_inf : int
        How many of the counted values were +inf or -inf (they are in the tail bins).
    unseen : tuple of (value, count)
        The distinct values counted in "(unseen)", most frequent first, ties by text; at
        most 10,000 are listed.
    unseen_complete : bool
        Whether `unseen` lists every value counted in "(unseen)".
    problem : {"missing_column", "type_mismatch", "skipped"} or None
        Why the column has no counts: absent from the data, a storage type that does not fit
        the reference bins, or values that cannot be counted (e.g. unhashable).
    reason : str or None
        The problem in words, naming the types (and the file, for streams).

    Examples
    --------
    >>> from kl_drift import ColumnCounts
    >>> a = ColumnCounts("plan", (3, 1, 0, 0))
    >>> a.merge(ColumnCounts("plan", (1, 1, 2, 0), unseen=(("x", 2),))).counts
    (4, 2, 2, 0)
    """

    name: str
    counts: tuple[int, ...] = ()
    n_inf: int = 0
    unseen: UnseenList = ()
    unseen_complete: bool = True
    problem: Problem | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.problem is not None and self.problem not in PROBLEMS:
            raise ValueError(f"`problem` must be one of {PROBLEMS} or None, got {self.problem!r}")
        if self.problem is not None and self.counts:
            raise ValueError(f"column {self.name!r}: counts with a problem ({self.problem}) make no sense")

    @classmethod
    def failed(cls, name: str, problem: Problem, reason: str) -> ColumnCounts:
        """A column that could not be counted."""
        return cls(name, problem=problem, reason=reason)

    @property
    def n_rows(self) -> int:
        """Rows counted, missing values included (0 when the column has a problem)."""
        return int(sum(self.counts))

    def merge(self, other: ColumnCounts) -> ColumnCounts:
        """Counts of both chunks; a problem in either chunk is the problem of the whole.

        A type mismatch in one file of a stream makes the column a type mismatch (its reason
        kept), never a silent score of the other files.
        """
        if other.name != self.name:
            raise IncompatibleProfilesError(f"cannot merge counts of column {self.name!r} with {other.name!r}")
        for side in (self, other):
            if side.problem is not None:
                return side
        if len(self.counts) != len(other.counts):
            raise IncompatibleProfilesError(
                f"column {self.name!r}: counts of {len(self.counts)} and {len(other.counts)} bins cannot be added"
            )
        unseen, complete = merge_unseen(self.unseen, self.unseen_complete, other.unseen, other.unseen_complete)
        return ColumnCounts(
            self.name,
            tuple(a + b for a, b in zip(self.counts, other.counts)),
            self.n_inf + other.n_inf,
            unseen,
            complete,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "counts": list(self.counts),
            "n_inf": self.n_inf,
            "unseen": [[value, count] for value, count in self.unseen],
            "unseen_complete": self.unseen_complete,
            "problem": self.problem,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CountTable:
    """Current data counted into a profile's bins: what every engine returns.

    Attributes
    ----------
    n_rows : int
        Rows in the current data.
    columns : mapping of str to ColumnCounts
        The counted profile columns (with a `problem` where they could not be counted), in
        the profile's order.
    data_columns : tuple of str
        Every column of the current data, counted or not: a report lists the ones the
        profile does not know.
    engine : str
        Which engine counted ("pandas", "arrow", "sql", "spark"); informational.
    pairs : tuple of PairCounts
        The profile's column pairs counted on their 2-D bins, where the engine counts them
        (``kl_drift.spark.count``); `kl_drift.compare` then compares them. Empty otherwise.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> prof = kd.profile(pd.DataFrame({"x": ["a", "b", "a"]}))
    >>> table = kd.count(prof, pd.DataFrame({"x": ["a", "c", None], "y": [1, 2, 3]}))
    >>> table["x"].counts, table.data_columns
    ((1, 0, 1, 1), ('x', 'y'))
    """

    n_rows: int
    columns: Mapping[str, ColumnCounts]
    data_columns: tuple[str, ...] = ()
    engine: str = field(default="pandas", compare=False)
    pairs: tuple[PairCounts, ...] = ()

    @classmethod
    def of(
        cls,
        n_rows: int,
        columns: Iterable[ColumnCounts],
        data_columns: Iterable[str],
        engine: str,
        pairs: Iterable[PairCounts] = (),
    ) -> CountTable:
        """A table from column counts in order (and pair counts)."""
        return cls(int(n_rows), {c.name: c for c in columns}, tuple(data_columns), engine, tuple(pairs))

    def __getitem__(self, name: str) -> ColumnCounts:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"column {name!r} was not counted; counted columns: {list(self.columns)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __iter__(self) -> Iterator[ColumnCounts]:
        return iter(self.columns.values())

    def __len__(self) -> int:
        return len(self.columns)

    def merge(self, other: CountTable) -> CountTable:
        """Counts of two chunks of data, counted into the same profile's bins (pair counts
        too: a pair held by one side only is left out; 2-D bins that differ are an error)."""
        if not isinstance(other, CountTable):
            raise TypeError(f"can only merge a CountTable, got {type(other).__name__}")
        if list(self.columns) != list(other.columns):
            raise IncompatibleProfilesError(
                f"count tables have different columns: {list(self.columns)} and {list(other.columns)}"
            )
        merged = [mine.merge(other.columns[name]) for name, mine in self.columns.items()]
        data_columns = tuple(dict.fromkeys((*self.data_columns, *other.data_columns)))
        # A pair only one side holds could not be counted on the other (a column's problem,
        # which the merged column keeps): it is left out, as the whole data would leave it.
        theirs = {p.columns: p for p in other.pairs}
        pairs = []
        for mine in self.pairs:
            if mine.columns not in theirs:
                continue
            if theirs[mine.columns].groups != mine.groups:
                raise IncompatibleProfilesError(f"pair {mine.columns!r}: the two tables were counted on different 2-D bins")
            pairs.append(mine.merge(theirs[mine.columns]))
        return CountTable.of(self.n_rows + other.n_rows, merged, data_columns, self.engine, pairs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "n_rows": self.n_rows,
            "engine": self.engine,
            "data_columns": list(self.data_columns),
            "columns": [c.to_dict() for c in self.columns.values()],
            **({"pairs": [p.to_dict() for p in self.pairs]} if self.pairs else {}),
        }
