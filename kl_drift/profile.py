"""Reference profiles: the bins and counts of a reference dataset, saved as versioned JSON."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from ._core.bins import BinSpec, CategoricalBins, NumericBins
from ._core.novelty import PooledValues
from ._core.pairs import DEFAULT_MAX_PAIRS, PairCounts
from ._engines.pandas import PARALLEL_MIN_ROWS, ColumnProblem, count_column, count_pooled_series, fit_column
from ._io import atomic_write_text
from .counts import merge_unseen as _merge_unseen_lists
from .errors import (
    AllMissingWarning,
    ColumnError,
    ConstantInputWarning,
    EmptyDataError,
    IncompatibleProfilesError,
    SkippedColumnWarning,
    SmallSampleWarning,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

__all__ = ["ColumnProfile", "ReferenceProfile", "profile", "SCHEMA_VERSION"]

# 2: pooled value counts and sketch, reference range edges, identifier-like columns.
SCHEMA_VERSION = 2
# 3: pair counts (2-D bins of column pairs). Written only by profiles that hold pairs, so
# profiles without them stay schema 2 and readable by the kl_drift that wrote 2.
PAIRS_SCHEMA_VERSION = 3
# Older versions this kl_drift still reads (their missing fields read as None).
READABLE_SCHEMA_VERSIONS = (1, 2, 3)
FORMAT_NAME = "kl_drift.profile"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ColumnProfile:
    """Bins and reference counts of one column.

    Attributes
    ----------
    name : str
        Column name.
    kind : {"numeric", "datetime", "categorical", "boolean", "skipped"}
        What the column holds; "skipped" columns could not be profiled (see `reason`).
        (Profiles written by 0.1.0 as engine output may say "type_mismatch"; they are read
        and compared as such. Current counts are a `kl_drift.CountTable` now.)
    dtype : str
        The reference column's pandas dtype (informational, not compared).
    bins : NumericBins or CategoricalBins or None
        The bin specification fitted on the reference (None when skipped).
    counts : tuple of int
        Reference counts per bin, in the order of ``bins.labels``.
    n_inf : int
        Number of ±inf values (counted in the tail bins).
    reason : str or None
        Why the column was skipped.
    unseen : tuple of (value, count)
        The distinct values counted in the "(unseen)" bucket, most frequent first (only
        for counts of data other than the reference, e.g. ``prof.count(current)``).
    unseen_complete : bool
        Whether `unseen` lists every unseen value (at most 10,000 are listed).
    pooled : PooledValues or None
        Categorical columns: the reference count of each pooled value the bins list, and a
        count histogram and Bloom filter of any beyond them, so that a comparison can tell
        a current value "seen but rare" from "never seen" and judge the new ones against
        what sampling alone leaves unseen (Good–Turing). None in profiles written by 0.1.0.
    identifier : str or None
        Why the column is identifier-like (nearly every value distinct: keys, row ids,
        timestamps held as text), or None. Such a column is reported with status
        "identifier" and not scored unless the comparison asks for it.
    """

    name: str
    kind: str
    # Informational: the same values read as numpy- or Arrow-backed are the same profile.
    dtype: str = field(compare=False)
    bins: BinSpec | None
    counts: tuple[int, ...]
    n_inf: int = 0
    reason: str | None = None
    unseen: tuple[tuple[Any, int], ...] = ()
    unseen_complete: bool = True
    pooled: PooledValues | None = None
    identifier: str | None = None

    @property
    def n_rows(self) -> int:
        """Rows counted, missing values included."""
        return int(sum(self.counts))

    @property
    def labels(self) -> tuple[str, ...]:
        """Bin labels (empty for a skipped column)."""
        return self.bins.labels if self.bins is not None else ()

    def count(self, data: pd.Series) -> ColumnProfile:
        """Count `data` into this column's bins; returns a profile with the same bins.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd
        >>> col = kd.profile(pd.DataFrame({"x": ["a", "b", "a"]}))["x"]
        >>> col.count(pd.Series(["a", "c", None])).counts
        (1, 0, 1, 1)
        """
        if self.bins is None:
            raise ColumnError(self.name, f"was skipped when profiled: {self.reason}")
        counted = count_column(data, self.bins, self.name)
        if counted.problem is not None:
            raise ColumnError(self.name, (counted.reason or counted.problem).removeprefix(f"column {self.name!r}: "))
        pooled = None
        if isinstance(self.bins, CategoricalBins) and self.pooled is not None:
            # The chunk's own pooled counts; its values beyond the list are in `unseen`.
            pooled = PooledValues(count_pooled_series(data, self.bins))
        return replace(
            self,
            counts=tuple(int(c) for c in counted.counts),
            n_inf=int(counted.n_inf),
            unseen=counted.unseen,
            unseen_complete=counted.unseen_complete or not isinstance(self.bins, CategoricalBins),
            pooled=pooled,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in a saved profile."""
        return {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "bins": self.bins.to_dict() if self.bins is not None else None,
            "counts": list(self.counts),
            "n_inf": self.n_inf,
            "reason": self.reason,
            "unseen": [[value, count] for value, count in self.unseen],
            "unseen_complete": self.unseen_complete,
            "pooled": self.pooled.to_dict() if self.pooled is not None else None,
            "identifier": self.identifier,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """Rebuild (and validate) a column profile from `to_dict` output."""
        from ._schema import validate_column

        return validate_column(data, "<dict>")


def _checksum(columns: Sequence[Mapping[str, Any]], n_rows: int, pairs: Sequence[Mapping[str, Any]] = ()) -> str:
    content: dict[str, Any] = {"columns": list(columns), "n_rows": n_rows}
    if pairs:
        # Only profiles with pairs sum them, so older profiles keep their checksums.
        content["pairs"] = list(pairs)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _installed_version() -> str:
    # Read when a profile is made, not at import: importlib.metadata takes 10-20 ms to load.
    from ._version import __version__

    return __version__


@dataclass(frozen=True)
class ReferenceProfile:
    """Bins and counts of a reference dataset: all a later comparison needs.

    Build one with `profile`; save it with `save` and read it back with
    `load`. Profiles with the same bins merge by adding counts, so chunks or
    partitions can be counted separately.

    Attributes
    ----------
    columns : tuple of ColumnProfile
        One entry per profiled column, in data order.
    n_rows : int
        Rows in the reference.
    created_at : str
        ISO 8601 creation time (UTC).
    kl_drift_version : str
        Version of kl_drift that wrote the profile.
    settings : dict
        The binning options used.
    pairs : tuple of PairCounts
        Counts of column pairs on 2-D bins (``profile(..., pairs=...)``), for joint drift
        (:mod:`kl_drift.pairs`); empty unless asked for.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> prof = kd.profile(pd.DataFrame({"x": range(100)}), bins=4)
    >>> prof["x"].labels
    ('(-inf, 0)', '[0, 24]', '(24, 49]', '(49, 74]', '(74, 99]', '(99, +inf)', '(missing)')
    >>> prof["x"].counts
    (0, 25, 25, 25, 25, 0, 0)
    """

    columns: tuple[ColumnProfile, ...]
    n_rows: int
    created_at: str = field(default_factory=_now, compare=False)
    kl_drift_version: str = field(default_factory=_installed_version, compare=False)
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    pairs: tuple[PairCounts, ...] = ()

    _index: Mapping[str, ColumnProfile] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        index = {c.name: c for c in self.columns}
        if len(index) != len(self.columns):
            names = [c.name for c in self.columns]
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ColumnError(dupes[0], "appears more than once in the profile")
        # Name lookups in O(1): a profile of thousands of columns is looked up per column.
        object.__setattr__(self, "_index", index)

    @property
    def names(self) -> tuple[str, ...]:
        """Profiled column names."""
        return tuple(c.name for c in self.columns)

    def __getitem__(self, name: str) -> ColumnProfile:
        column = self._index.get(name)
        if column is not None:
            return column
        raise KeyError(f"column {name!r} is not in the profile; profiled columns: {list(self.names)}")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._index

    def __iter__(self) -> Iterator[ColumnProfile]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __repr__(self) -> str:
        shown = ", ".join(f"{c.name}:{c.kind}" for c in self.columns[:8])
        more = f", … {len(self.columns) - 8} more" if len(self.columns) > 8 else ""
        return f"ReferenceProfile(n_rows={self.n_rows}, columns=[{shown}{more}])"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with schema version, package version, time and a checksum."""
        columns = [c.to_dict() for c in self.columns]
        pairs = [p.to_dict() for p in self.pairs]
        out: dict[str, Any] = {
            "format": FORMAT_NAME,
            "schema_version": PAIRS_SCHEMA_VERSION if pairs else SCHEMA_VERSION,
            "kl_drift_version": self.kl_drift_version,
            "created_at": self.created_at,
            "settings": dict(self.settings),
            "n_rows": self.n_rows,
            "columns": columns,
        }
        if pairs:
            out["pairs"] = pairs
        out["checksum"] = _checksum(columns, self.n_rows, pairs)
        return out

    def to_json(self, *, indent: int | None = 1) -> str:
        """Strict JSON text (no NaN or Infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile as JSON, atomically: a failed write leaves any old file intact."""
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<dict>") -> ReferenceProfile:
        """Validate and rebuild a profile from `to_dict` output.

        Raises
        ------
        ProfileFormatError
            Naming the problem: wrong format or version, missing or extra fields, counts
            that do not match the bins, or a checksum mismatch (the file was edited).
        """
        from ._schema import validate_profile

        return validate_profile(data, source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReferenceProfile:
        """Read a profile written by `save`, validating it strictly.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd, tempfile, os
        >>> prof = kd.profile(pd.DataFrame({"x": [1.5, 2.5, 3.5] * 10}))
        >>> path = os.path.join(tempfile.mkdtemp(), "ref.json")
        >>> prof.save(path)
        >>> kd.ReferenceProfile.load(path) == prof
        True
        """
        # The file is untrusted input: its size, nesting and numbers are bounded there too.
        from ._schema import read_profile

        return read_profile(path)

    def merge(self, other: ReferenceProfile) -> ReferenceProfile:
        """Add the counts of a profile with the same columns and bins.

        Raises
        ------
        IncompatibleProfilesError
            If the columns, their order, kinds or bins differ.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd
        >>> prof = kd.profile(pd.DataFrame({"x": ["a", "b"]}))
        >>> prof.merge(prof)["x"].counts
        (2, 2, 0, 0)
        """
        if not isinstance(other, ReferenceProfile):
            raise TypeError(f"can only merge a ReferenceProfile, got {type(other).__name__}")
        if self.names != other.names:
            raise IncompatibleProfilesError(
                f"profiles have different columns: {list(self.names)} and {list(other.names)}"
            )
        merged = []
        for mine, theirs in zip(self.columns, other.columns):
            if (mine.kind, mine.bins) != (theirs.kind, theirs.bins):
                raise IncompatibleProfilesError(
                    f"column {mine.name!r} has different bins in the two profiles; count chunks with "
                    "`profile.count(chunk)` so they share one set of bins"
                )
            counts = tuple(a + b for a, b in zip(mine.counts, theirs.counts))
            unseen, complete = merge_unseen(mine, theirs)
            pooled = mine.pooled.merge(theirs.pooled) if mine.pooled is not None and theirs.pooled is not None else None
            merged.append(
                replace(
                    mine, counts=counts, n_inf=mine.n_inf + theirs.n_inf, unseen=unseen, unseen_complete=complete, pooled=pooled
                )
            )
        if [(p.columns, p.groups) for p in self.pairs] != [(p.columns, p.groups) for p in other.pairs]:
            raise IncompatibleProfilesError(
                "profiles hold different pairs or 2-D bins; count chunks with `profile.count(chunk)` so they share them"
            )
        pairs = tuple(a.merge(b) for a, b in zip(self.pairs, other.pairs))
        return ReferenceProfile(tuple(merged), self.n_rows + other.n_rows, settings=self.settings, pairs=pairs)

    def count(self, data: pd.DataFrame) -> ReferenceProfile:
        """Count `data` into this profile's bins: a profile of the chunk that merges with this one.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 5})
        >>> prof = kd.profile(df.iloc[:8], bins=2)
        >>> whole = prof.count(df.iloc[:8]).merge(prof.count(df.iloc[8:]))
        >>> whole == prof.count(df)
        True
        """
        frame = _check_frame(data, "data")
        columns = []
        for column in self.columns:
            if column.bins is None:
                columns.append(column)
                continue
            if column.name not in frame.columns:
                raise ColumnError(column.name, "is in the profile but not in the data")
            columns.append(column.count(frame[column.name]))
        pairs = ()
        if self.pairs:
            from .pairs import count_pairs

            pairs = count_pairs(frame, self, self.pairs)
        return ReferenceProfile(tuple(columns), len(frame), settings=self.settings, pairs=pairs)


def merge_unseen(a: ColumnProfile, b: ColumnProfile) -> tuple[tuple[tuple[Any, int], ...], bool]:
    """Unseen values of two counts of the same bins, added by value, most frequent first."""
    return _merge_unseen_lists(a.unseen, a.unseen_complete, b.unseen, b.unseen_complete)


def _check_frame(data: Any, what: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`{what}` must be a pandas DataFrame, got {type(data).__name__}")
    duplicated = data.columns[data.columns.duplicated()].unique().tolist()
    if duplicated:
        raise ColumnError(duplicated[0], f"appears more than once in the {what} columns; column names must be unique")
    bad = [c for c in data.columns if not isinstance(c, str)]
    if bad:
        raise ColumnError(bad[0], "column names must be strings (rename with df.columns = df.columns.astype(str))")
    return data


def _per_column(option: Any, name: str, columns: Sequence[str], check: Callable[[str, Any], Any]) -> dict[str, Any]:
    """Validate a scalar-or-mapping option; returns the per-column mapping of overrides."""
    if not isinstance(option, Mapping):
        return {}
    unknown = [c for c in option if c not in columns]
    if unknown:
        raise ColumnError(unknown[0], f"is named in `{name}` but is not a column of the data")
    return {c: check(f"{name}[{c!r}]", v) for c, v in option.items()}


# Most bins per numeric column: far more than a drift score can use (each bin needs rows to
# be estimated), and few enough that a typo such as 1000000000 is an error, not a MemoryError.
MAX_BINS = 10_000


def _check_bins(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    # `max_categories` shares this check but allocates nothing per category: no upper bound.
    if value > MAX_BINS and not name.startswith("max_categories"):
        raise ValueError(f"`{name}` must be at most {MAX_BINS:,} bins, got {value!r}")
    return int(value)


def _check_strategy(name: str, value: Any) -> str:
    if value not in ("quantile", "uniform"):
        raise ValueError(f"`{name}` must be 'quantile' or 'uniform', got {value!r}")
    return str(value)


def _check_edges(name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"`{name}` must be a sequence of increasing edges, got {value!r}")
    return list(value)


@dataclass(frozen=True)
class BinningOptions:
    """The binning options of a profile call, validated and resolved per column.

    Every engine (pandas, streamed files, Spark) validates its options here, so they accept
    and reject the same things with the same messages.
    """

    default_bins: int
    default_strategy: str
    bins_for: Mapping[str, int]
    strategy_for: Mapping[str, str]
    edges_for: Mapping[str, list[Any]]
    forced: frozenset[str]
    max_categories: int
    discrete_threshold: int
    settings: Mapping[str, Any]
    parse_dates: bool = True

    @classmethod
    def resolve(
        cls,
        names: Sequence[str],
        *,
        bins: int | Mapping[str, int],
        strategy: str | Mapping[str, str],
        edges: Mapping[str, Sequence[Any]] | None,
        categorical: Sequence[str],
        max_categories: int,
        discrete_threshold: int,
        parse_dates: bool = True,
    ) -> BinningOptions:
        """Validate the options against the column `names`; errors name the option and column."""
        default_bins = _check_bins("bins", bins) if not isinstance(bins, Mapping) else 10
        default_strategy = _check_strategy("strategy", strategy) if not isinstance(strategy, Mapping) else "quantile"
        bins_for = _per_column(bins, "bins", names, _check_bins)
        strategy_for = _per_column(strategy, "strategy", names, _check_strategy)
        edges_for = _per_column(edges or {}, "edges", names, _check_edges)
        forced = frozenset(_per_column({c: True for c in categorical}, "categorical", names, lambda n, v: v))
        if (
            isinstance(discrete_threshold, bool)
            or not isinstance(discrete_threshold, (int, np.integer))
            or discrete_threshold < 0
        ):
            raise ValueError(f"`discrete_threshold` must be a non-negative integer, got {discrete_threshold!r}")
        settings = {
            "bins": dict(bins) if isinstance(bins, Mapping) else int(bins),
            "strategy": dict(strategy) if isinstance(strategy, Mapping) else str(strategy),
            "edges": {k: [str(e) for e in v] for k, v in edges_for.items()},
            "categorical": sorted(forced),
            "max_categories": int(max_categories),
            "discrete_threshold": int(discrete_threshold),
        }
        if not isinstance(parse_dates, (bool, np.bool_)):
            raise ValueError(f"`parse_dates` must be True or False, got {parse_dates!r}")
        if not parse_dates:
            settings["parse_dates"] = False
        return cls(
            default_bins=default_bins,
            default_strategy=default_strategy,
            bins_for=bins_for,
            strategy_for=strategy_for,
            edges_for=edges_for,
            forced=forced,
            max_categories=_check_bins("max_categories", max_categories),
            discrete_threshold=int(discrete_threshold),
            settings=settings,
            parse_dates=bool(parse_dates),
        )

    def bins(self, name: str) -> int:
        """Bins requested for a numeric column."""
        return self.bins_for.get(name, self.default_bins)

    def strategy(self, name: str) -> str:
        """Edge strategy for a numeric column."""
        return self.strategy_for.get(name, self.default_strategy)

    def user_binned(self, name: str) -> bool:
        """Whether the user chose this column's bins (then it is never binned by value)."""
        return name in self.edges_for or name in self.bins_for or name in self.strategy_for


def profile(
    data: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    bins: int | Mapping[str, int] = 10,
    strategy: str | Mapping[str, str] = "quantile",
    edges: Mapping[str, Sequence[Any]] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 50,
    discrete_threshold: int = 20,
    parse_dates: bool = True,
    pairs: str | Sequence[tuple[str, str]] | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> ReferenceProfile:
    """Fit bins on a reference DataFrame and count it.

    Parameters
    ----------
    data : pandas.DataFrame
        The reference data.
    columns : sequence of str, optional
        Columns to profile (default: all).
    bins : int or mapping, default 10
        Bins per numeric column, or ``{column: bins}`` overrides (others keep 10).
    strategy : {"quantile", "uniform"} or mapping, default "quantile"
        Numeric edges from reference quantiles (order statistics) or equal widths.
    edges : mapping, optional
        ``{column: [e1, e2, ...]}`` explicit interior edges (datetimes accepted for
        datetime columns); tails stay open.
    categorical : sequence of str, optional
        Columns to bin by exact value even if numeric.
    max_categories : int, default 50
        Most frequent categories kept per column; the rest are pooled into "(other)".
    discrete_threshold : int, default 20
        Numeric columns with at most this many distinct values (and no ±inf) are binned by
        exact value, unless `bins` or `edges` name them.
    parse_dates : bool, default True
        Bin text columns that hold nothing but ISO 8601 dates or timestamps (e.g.
        "2013-01-01T05:00:00Z") as datetimes; current text is parsed the same way. False
        keeps them as categories.
    pairs : "auto" or sequence of (str, str), optional
        Also count column pairs on 2-D bins, for joint drift (`kl_drift.pairs`): the pairs
        named, or ``"auto"``, the `max_pairs` pairs of strongest reference dependence
        (mutual information on a sample of at most 50,000 rows).
    max_pairs : int, default 10
        Most pairs ``pairs="auto"`` keeps.

    Returns
    -------
    ReferenceProfile

    Raises
    ------
    EmptyDataError
        If `data` has no rows.
    ColumnError
        For duplicate or non-string column names, or an option naming an unknown column.

    Warns
    -----
    ConstantInputWarning, AllMissingWarning, SmallSampleWarning
        For degenerate but usable columns.
    SkippedColumnWarning
        For a column that cannot be binned (mixed or unhashable values); it is kept in the
        profile as ``kind="skipped"`` with the reason.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> df = pd.DataFrame({"age": [23.0, 35.0, 41.0, 52.0, 67.0] * 20, "plan": ["a", "b"] * 50})
    >>> prof = kd.profile(df, bins={"age": 2}, discrete_threshold=0)
    >>> prof["age"].labels
    ('(-inf, 23)', '[23, 41]', '(41, 67]', '(67, +inf)', '(missing)')
    >>> prof["plan"].counts
    (50, 50, 0, 0)
    """
    frame = _check_frame(data, "reference")
    if len(frame) == 0:
        raise EmptyDataError("the reference data has no rows")
    names = list(frame.columns)
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise ColumnError(missing[0], "is in `columns` but not in the reference data")
        names = list(dict.fromkeys(columns))
    if not names:
        raise EmptyDataError("the reference data has no columns to profile")
    opts = BinningOptions.resolve(
        names,
        bins=bins,
        strategy=strategy,
        edges=edges,
        categorical=categorical,
        max_categories=max_categories,
        discrete_threshold=discrete_threshold,
        parse_dates=parse_dates,
    )

    def fit(name: str) -> tuple[ColumnProfile, list[tuple[type[Warning], str]]]:
        series = frame[name]
        try:
            fitted = fit_column(
                series,
                bins=opts.bins(name),
                strategy=opts.strategy(name),
                edges=opts.edges_for.get(name),
                force_categorical=name in opts.forced,
                max_categories=opts.max_categories,
                discrete_threshold=0 if opts.user_binned(name) else opts.discrete_threshold,
                parse_dates=opts.parse_dates,
            )
        except ColumnProblem as problem:
            if problem.status == "error":
                raise ColumnError(name, problem.reason) from None
            note = (SkippedColumnWarning, f"column {name!r} skipped: {problem.reason}")
            return ColumnProfile(name, "skipped", str(series.dtype), None, (), 0, problem.reason), [note]
        col = ColumnProfile(
            name, fitted.kind, fitted.dtype, fitted.spec, tuple(int(c) for c in fitted.counts), fitted.n_inf,
            pooled=fitted.pooled, identifier=fitted.identifier,
        )  # fmt: skip
        return col, _degeneracy_notes(col, opts.bins(name))

    if len(frame) >= PARALLEL_MIN_ROWS and len(names) > 1:
        with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1)) as pool:
            results = list(pool.map(fit, names))
    else:
        results = [fit(n) for n in names]
    for _, notes in results:
        for category, message in notes:
            warnings.warn(message, category, stacklevel=2)
    fitted = tuple(col for col, _ in results)
    settings = dict(opts.settings)
    pair_counts: tuple[PairCounts, ...] = ()
    if pairs is not None:
        from .pairs import fit_pairs

        pair_counts = fit_pairs(frame, fitted, pairs, max_pairs=max_pairs)
        settings["pairs"] = pairs if isinstance(pairs, str) else [list(p.columns) for p in pair_counts]
    return ReferenceProfile(fitted, len(frame), settings=settings, pairs=pair_counts)


def _degeneracy_notes(col: ColumnProfile, requested_bins: int) -> list[tuple[type[Warning], str]]:
    counts = np.asarray(col.counts)
    n_missing = int(counts[-1])
    n_values = int(counts.sum()) - n_missing
    notes: list[tuple[type[Warning], str]] = []
    if n_values == 0:
        notes.append((AllMissingWarning, f"column {col.name!r}: all {n_missing} reference values are missing"))
        return notes
    distinct = (
        len(col.bins.categories) + len(col.bins.other_values)
        if isinstance(col.bins, CategoricalBins) and col.bins.other_complete
        else None
    )
    if distinct == 1 or (isinstance(col.bins, NumericBins) and np.count_nonzero(counts[:-1]) == 1):
        notes.append((ConstantInputWarning, f"column {col.name!r}: the reference holds a single distinct value"))
    elif isinstance(col.bins, NumericBins) and n_values < requested_bins:
        notes.append(
            (SmallSampleWarning, f"column {col.name!r}: {n_values} non-missing reference values for {requested_bins} bins")
        )
    return notes
