"""Joint drift of column pairs: columns that stop moving together while each stays the same.

Per-column scores cannot see a change in how two columns relate (a sensor whose dewpoint
stops tracking temperature, a join that pairs rows wrongly) while each column's own
distribution is unchanged. For a pair (X, Y) counted on 2-D bins (each column's own bins,
coarsened: see :mod:`kl_drift._core.pairs`) the KL chain rule splits the joint divergence
``D(current ‖ reference)`` into the marginals' part and the *interaction*, the part only a
change of dependence explains. Pair counts add, like column counts, so they live in the
profile (``kd.profile(ref, pairs="auto")``) and merge.

Use it through `kl_drift.profile` and `kl_drift.compare`::

    prof = kd.profile(ref, pairs="auto")
    report = kd.compare(prof, cur)
    report.pairs[("temp", "dewp")].interaction
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import chdtri

from ._core.bins import CategoricalBins, NumericBins
from ._core.pairs import (
    AUTO_SAMPLE_ROWS,
    BLOCK_ROWS,
    DEFAULT_MAX_PAIRS,
    PairCounts,
    association_tests,
    chain_rules_terms,
    coarsen,
    dependence_word,
    mutual_information,
    pair_groups,
    pair_table,
    pair_tables,
)
from ._core.stats import adjust_pvalues
from ._engines.pandas import PARALLEL_MIN_ROWS, ColumnProblem, map_values, numeric_values, parse_iso
from .counts import CountTable
from .errors import ColumnError
from .report import json_safe

if TYPE_CHECKING:
    from ._options import CompareOptions
    from .profile import ColumnProfile, ReferenceProfile
    from .report import DriftReport

__all__ = ["PairDrift", "PairResults", "DEFAULT_MAX_PAIRS", "PAIR_MIN_EFFECT", "PAIR_CORRECTION"]

# A pair drifts when its interaction is significant and at least this large (nats), unless
# `min_effect` is given: the same smallest effect as a column's.
PAIR_MIN_EFFECT = 0.01
# Pairs are tested together with Benjamini–Hochberg: with many pairs a few true changes
# should not be drowned by a family-wise correction over all of them.
PAIR_CORRECTION = "bh"
# pairs="auto" keeps a pair only when its sample dependence is this significant (G-test of
# independence), so that noise is never picked as "the strongest dependence".
_AUTO_ALPHA = 1e-3
# Cells whose share moved by less than this are not worth a sentence.
_MIN_CHANGE = 0.001


# ---------------------------------------------------------------- 2-D bins and counting


def column_codes(series: pd.Series, col: ColumnProfile) -> NDArray[np.intp]:
    """The bin of each row of `series` in the column's bins ("(missing)" is the last bin).

    ``np.bincount(codes)`` equals the pandas engine's counts of the column (tested), so a
    pair's marginals are its columns' counts, merged by groups. Integers beyond 2**53 are
    placed as float64.
    """
    spec = col.bins
    assert spec is not None
    missing_bin = spec.n_bins - 1
    if isinstance(spec, CategoricalBins):
        codes, targets = _categories(series, spec)
        return targets.astype(np.intp)[codes]
    if spec.datetime:
        if spec.text and not pd.api.types.is_datetime64_any_dtype(series.dtype):
            series = parse_iso(series, zoned=spec.tz is not None)
        elif not pd.api.types.is_datetime64_any_dtype(series.dtype):
            series = pd.to_datetime(series)
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
        missing = np.isnat(stamps)
        codes = np.searchsorted(np.asarray(spec.edges, dtype=np.int64), stamps.view(np.int64), side="left")
        return np.where(missing, missing_bin, codes).astype(np.intp)
    x = np.asarray(numeric_values(series), dtype=np.float64)
    # Right-closed bins: a value equal to an edge belongs to the bin the edge closes.
    codes = np.searchsorted(np.asarray(spec.edges, dtype=np.float64), x, side="left")
    return np.where(np.isnan(x), missing_bin, codes).astype(np.intp)


def _categories(series: pd.Series, spec: CategoricalBins) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Each row's distinct value (-1 for missing) and each value's bin, "(missing)" appended
    last so that -1 indexes it."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(np.asarray(uniques, dtype=object))
    # Only which bin each value maps to matters here; its count is the engine's business.
    _, targets = map_values(values, np.ones(len(values), dtype=np.int64), 0, spec)
    return codes, np.append(targets, spec.n_bins - 1)


def group_codes(series: pd.Series, col: ColumnProfile, groups: Sequence[int]) -> NDArray[np.uint8]:
    """The group of each row in a pair's bins: ``groups[column_codes(series, col)]``, faster.

    Numeric groups are ranges of adjacent bins, so a row's group is the number of group
    boundaries below it: one comparison pass per boundary (at most 4) instead of a search
    among every edge. Categorical rows are mapped once per distinct value.
    """
    spec = col.bins
    assert spec is not None
    lookup = np.asarray(groups, dtype=np.uint8)
    if isinstance(spec, CategoricalBins):
        fast = _arrow_text_groups(series, spec, lookup)
        if fast is not None:
            return fast
        codes, targets = _categories(series, spec)
        return lookup[targets][codes]
    if spec.datetime:
        return lookup[column_codes(series, col)]
    x = numeric_values(series)
    # Bin i is (e_(i-1), e_i]; the group changes after bin i where groups[i] != groups[i + 1].
    bounds = [float(spec.edges[i]) for i in range(len(spec.edges)) if lookup[i] != lookup[i + 1]]
    n = len(x)
    codes = np.empty(n, dtype=np.uint8)
    scratch = np.empty(min(n, BLOCK_ROWS), dtype=bool)
    # Values are compared as float64, as `column_codes` places them (integers beyond 2**53
    # rounded as numpy casts them), one block at a time so that every comparison reads it
    # from the cache (1.8x faster than one pass over the column per boundary).
    as_float = np.empty(min(n, BLOCK_ROWS), dtype=np.float64) if x.dtype != np.float64 else None
    for start in range(0, n, BLOCK_ROWS):
        block = x[start : start + BLOCK_ROWS]
        out, mask = codes[start : start + BLOCK_ROWS], scratch[: len(block)]
        if as_float is not None:
            converted = as_float[: len(block)]
            converted[...] = block
            block = converted
        out.fill(lookup[0])
        for edge in bounds:
            # The mask's bytes as uint8 (0 or 1): no cast from bool, twice as fast.
            np.add(out, np.greater(block, edge, out=mask).view(np.uint8), out=out)
        # Most blocks have no NaN: a scan is cheaper than a masked write.
        if x.dtype.kind == "f" and np.isnan(block, out=mask).any():
            np.copyto(out, lookup[-1], where=mask)
    return codes


def _arrow_text_groups(series: pd.Series, spec: CategoricalBins, lookup: NDArray[np.uint8]) -> NDArray[np.uint8] | None:
    """Group codes of Arrow-backed text by one Arrow lookup of the categories that own a
    group; None where that does not apply (then every distinct value is mapped).

    Text matches the reference's categories exactly (as :func:`map_values` matches
    strings), and every value outside the categories that own a group ("(other)",
    "(unseen)", the rarer categories) shares the group of "(unseen)" (see
    :func:`kl_drift._core.pairs.coarsen`), so rows need no hashing beyond that lookup.
    """
    storage = getattr(series.dtype, "storage", None)
    arrow_backed = isinstance(series.dtype, pd.ArrowDtype) or storage in ("pyarrow", "pyarrow_numpy")
    if spec.value_type != "string" or not arrow_backed:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    rest = lookup[spec.unseen_index]
    if spec.other_index is not None and lookup[spec.other_index] != rest:
        return None
    owners = [(c, lookup[i]) for i, c in enumerate(spec.categories) if lookup[i] != rest]
    if not all(isinstance(c, str) for c, _ in owners):
        return None
    values = pa.chunked_array(series.array.__arrow_array__())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    table = np.array([g for _, g in owners] + [rest], dtype=np.uint8)
    found = pc.fill_null(pc.index_in(values, value_set=pa.array([c for c, _ in owners], type=values.type)), len(owners))
    codes = table[found.to_numpy()]
    if values.null_count:
        np.copyto(codes, lookup[-1], where=pc.is_null(values).to_numpy(zero_copy_only=False))
    return codes


def column_groups(col: ColumnProfile, n_rows: int) -> tuple[int, ...]:
    """The bin-to-group map of a column in a pair (see :func:`kl_drift._core.pairs.coarsen`)."""
    spec = col.bins
    assert spec is not None
    if isinstance(spec, CategoricalBins):
        return coarsen(col.counts, ordered=False, n_categories=len(spec.categories), groups=pair_groups(n_rows))
    return coarsen(col.counts, ordered=True, groups=pair_groups(n_rows))


def group_labels(col: ColumnProfile, groups: Sequence[int]) -> tuple[str, ...]:
    """A label per group: the merged range of numeric bins, the category, or "(other values)"."""
    labels = col.labels
    out = []
    for g in range(max(groups) + 1):
        members = [labels[i] for i, k in enumerate(groups) if k == g]
        if len(members) == 1:
            out.append(members[0])
        elif isinstance(col.bins, NumericBins):
            out.append(f"{members[0].split(', ')[0]}, {members[-1].split(', ')[-1]}")
        else:
            out.append("(other values)")
    return tuple(out)


def _pair_key(pair: Any) -> tuple[str, str]:
    if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
        raise ValueError(f"`pairs` must be 'auto' or a sequence of (column, column) pairs, got {pair!r} among them")
    items = tuple(pair)
    if len(items) != 2 or not all(isinstance(c, str) for c in items):
        raise ValueError(f"`pairs` must be 'auto' or a sequence of (column, column) pairs, got {pair!r} among them")
    if items[0] == items[1]:
        raise ColumnError(items[0], "is paired with itself in `pairs`")
    return items[0], items[1]


def _usable(col: ColumnProfile | None) -> bool:
    return col is not None and col.bins is not None and col.identifier is None


def fit_pairs(
    frame: pd.DataFrame, columns: Sequence[ColumnProfile], pairs: Any, *, max_pairs: int = DEFAULT_MAX_PAIRS
) -> tuple[PairCounts, ...]:
    """The reference pair counts of a profile: the pairs named, or (``"auto"``) the strongest.

    ``"auto"`` ranks every pair of profiled columns (identifier-like and skipped ones
    excluded) by the mutual information of their 2-D reference counts on a random sample of
    at most 50,000 rows, keeps those whose dependence is significant (G-test of
    independence, p < 0.001) and returns the `max_pairs` strongest, counted on every row.
    """
    index = {c.name: c for c in columns}

    def sample(names: Sequence[str], rows: NDArray[np.intp] | None) -> dict[str, pd.Series]:
        # Each column's sample rows alone: a take of the whole frame also copies columns not ranked.
        return {name: frame[name] if rows is None else frame[name].iloc[rows] for name in names}

    empty = plan_pairs(columns, pairs, len(frame), sample, max_pairs=max_pairs)
    return _count(frame, empty, lambda name, g: group_codes(frame[name], index[name], g))


def plan_pairs(
    columns: Sequence[ColumnProfile],
    pairs: Any,
    n_rows: int,
    sample: Callable[[Sequence[str], NDArray[np.intp] | None], Mapping[str, pd.Series]],
    *,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> tuple[PairCounts, ...]:
    """The pairs of a profile of `n_rows` rows, with their 2-D bins and no counts yet.

    `sample(names, rows)` gives the reference's rows `rows` (positions, sorted; None: every
    row) of the columns `names`, which ``"auto"`` ranks on (see :func:`fit_pairs`); any
    engine that can fetch rows by position ranks as the pandas one does.
    """
    if isinstance(max_pairs, bool) or not isinstance(max_pairs, (int, np.integer)) or max_pairs < 0:
        raise ValueError(f"`max_pairs` must be a non-negative integer, got {max_pairs!r}")
    index = {c.name: c for c in columns}
    if isinstance(pairs, str):
        if pairs != "auto":
            raise ValueError(f"`pairs` must be 'auto' or a sequence of (column, column) pairs, got {pairs!r}")
        chosen = _strongest(sample, n_rows, auto_columns(columns), int(max_pairs))
    else:
        chosen = list(dict.fromkeys(_pair_key(p) for p in pairs))
        for a, b in chosen:
            for name in (a, b):
                col = index.get(name)
                if col is None:
                    raise ColumnError(name, "is named in `pairs` but is not a profiled column")
                if col.bins is None:
                    raise ColumnError(name, f"is named in `pairs` but was skipped when profiled: {col.reason}")
    groups = {name: column_groups(index[name], n_rows) for pair in chosen for name in pair}
    return tuple(PairCounts((a, b), (groups[a], groups[b]), _zeros(groups[a], groups[b])) for a, b in chosen)


def sample_rows(n_rows: int) -> NDArray[np.intp] | None:
    """The reference rows ``pairs="auto"`` ranks on: at most 50,000, sorted (None: all)."""
    if n_rows <= AUTO_SAMPLE_ROWS:
        return None
    return np.sort(np.random.default_rng(0).choice(n_rows, AUTO_SAMPLE_ROWS, replace=False))


def _zeros(ga: Sequence[int], gb: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    return ((0,) * (max(gb) + 1),) * (max(ga) + 1)


def _count(
    frame: pd.DataFrame, pairs: Sequence[PairCounts], codes_of: Callable[[str, Sequence[int]], NDArray[np.uint8]]
) -> tuple[PairCounts, ...]:
    """`pairs` (their columns and 2-D bins) holding the counts of `frame`: each column's
    group codes once, then one table per pair; on 2 threads or more for large frames, as
    the pandas engine counts columns (numpy releases the GIL)."""
    needed = list(dict.fromkeys((name, groups) for pair in pairs for name, groups in zip(pair.columns, pair.groups)))
    workers = min(len(needed), os.cpu_count() or 1) if len(frame) >= PARALLEL_MIN_ROWS else 1
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            codes = dict(zip(needed, pool.map(lambda item: codes_of(*item), needed)))
            tables = list(pool.map(lambda p: pair_table(*(codes[(n, g)] for n, g in zip(p.columns, p.groups)), p.table.shape), pairs))
    else:
        codes = {item: codes_of(*item) for item in needed}
        tables = [pair_table(*(codes[(n, g)] for n, g in zip(p.columns, p.groups)), p.table.shape) for p in pairs]
    return tuple(p.with_counts(t) for p, t in zip(pairs, tables))


def _strongest(
    sample: Callable[[Sequence[str], NDArray[np.intp] | None], Mapping[str, pd.Series]],
    n: int,
    columns: Sequence[ColumnProfile],
    max_pairs: int,
) -> list[tuple[str, str]]:
    if len(columns) < 2 or max_pairs == 0:
        return []
    values = sample([c.name for c in columns], sample_rows(n))
    groups = [column_groups(c, n) for c in columns]
    return rank_pairs([group_codes(values[c.name], c, g) for c, g in zip(columns, groups)], columns, groups, max_pairs)


def auto_columns(columns: Sequence[ColumnProfile]) -> list[ColumnProfile]:
    """The columns ``pairs="auto"`` ranks: binned and not identifier-like."""
    return [c for c in columns if _usable(c)]


def rank_pairs(
    codes: Sequence[NDArray[np.uint8]], columns: Sequence[ColumnProfile], groups: Sequence[Sequence[int]], max_pairs: int
) -> list[tuple[str, str]]:
    """``pairs="auto"``'s choice from the sample: `codes` holds each of `columns`' group
    (`groups`, its bin-to-group map) of each sampled row, the same rows for all. An engine
    that computes the group codes itself (Spark) ranks with this, as the pandas path does."""
    if len(columns) < 2 or max_pairs == 0:
        return []
    n_sample = len(codes[0])
    tables = pair_tables(codes, [max(g) + 1 for g in groups])
    keys = list(tables)
    size = max(max(t.shape) for t in tables.values())
    stacked = np.zeros((len(keys), size, size), dtype=np.int64)
    for k, table in enumerate(tables.values()):
        stacked[k, : table.shape[0], : table.shape[1]] = table
    dofs = (np.count_nonzero(stacked.sum(axis=2), axis=1) - 1) * (np.count_nonzero(stacked.sum(axis=1), axis=1) - 1)
    # chdtri(dof, q) is what scipy.stats.chi2.isf(q, dof) returns, without importing scipy.stats (0.5 s).
    critical = {int(d): float(chdtri(int(d), _AUTO_ALPHA)) for d in np.unique(dofs) if d > 0}
    # Every pair's G statistic at once decides which pairs can pass; those are tested again
    # with `mutual_information` itself, so the choice is that function's. The margin (1e-6
    # relative) is far beyond the rounding of a sum of 36 terms in another order (1e-14).
    screened = 2 * n_sample * _mutual_informations(stacked)
    ranked = []
    for k in np.flatnonzero(dofs > 0):
        dof = int(dofs[k])
        if screened[k] <= critical[dof] * (1 - 1e-6):
            continue
        i, j = keys[k]
        mi = mutual_information(tables[(i, j)])
        if 2 * n_sample * mi > critical[dof]:
            ranked.append((-mi, columns[i].name, columns[j].name))
    ranked.sort()
    return [(a, b) for _, a, b in ranked[:max_pairs]]


def _mutual_informations(tables: NDArray[np.int64]) -> NDArray[np.float64]:
    """`mutual_information` of each table of a stack (zero-padded), to rounding."""
    from scipy.special import xlogy

    p = tables / np.maximum(tables.sum(axis=(1, 2), keepdims=True), 1)
    independent = p.sum(axis=2, keepdims=True) * p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p > 0, p / np.where(independent > 0, independent, 1.0), 1.0)
    return np.asarray(xlogy(p, ratio).sum(axis=(1, 2)), dtype=np.float64)


def count_pairs(
    frame: pd.DataFrame,
    prof: ReferenceProfile,
    pairs: Sequence[PairCounts],
    *,
    codes: Mapping[str, NDArray[np.uint8]] | None = None,
    groups: Mapping[str, tuple[int, ...]] | None = None,
) -> tuple[PairCounts, ...]:
    """Count a DataFrame into the 2-D bins of `pairs` (a profile's pair counts).

    `codes` holds group codes the column count already made (``pandas_engine.count`` with
    ``pair_groups=groups``): a column's codes are used for the pairs whose bin-to-group map
    is its entry in `groups`; the other columns are placed here.
    """
    for pair in pairs:
        for name in pair.columns:
            if name not in frame.columns:
                raise ColumnError(name, "is in the profile's pairs but not in the data")
    known = codes or {}
    made = groups or {}

    def codes_of(name: str, g: Sequence[int]) -> NDArray[np.uint8]:
        if name in known and made.get(name) == tuple(g):
            return known[name]
        return group_codes(frame[name], prof[name], g)

    return _count(frame, pairs, codes_of)


def wanted_groups(prof: ReferenceProfile, pairs: Any, columns: Sequence[str] | None = None) -> dict[str, tuple[int, ...]]:
    """The bin-to-group map of each column of the pairs a comparison will count (see
    `chosen_pairs`); none where it asks for pairs it cannot have (the comparison says why)."""
    try:
        return pair_column_groups(chosen_pairs(prof, pairs, columns))
    except (ValueError, TypeError):
        return {}


def pair_column_groups(pairs: Sequence[PairCounts]) -> dict[str, tuple[int, ...]]:
    """Each paired column's bin-to-group map (its first pair's, should two pairs differ),
    for ``pandas_engine.count(..., pair_groups=...)``."""
    out: dict[str, tuple[int, ...]] = {}
    for pair in pairs:
        for name, g in zip(pair.columns, pair.groups):
            out.setdefault(name, tuple(g))
    return out


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class PairDrift:
    """Joint drift of two columns: the chain-rule split and the decision on the interaction.

    Attributes
    ----------
    columns : tuple of (str, str)
        The pair, X then Y.
    status : {"ok", "warn", "drift", "skipped"}
        The decision ("skipped": a column of the pair could not be counted, see `reason`).
    drifted : bool
        True for "drift": the interaction is significant (`pvalue_adjusted` < alpha) and at
        least `threshold`.
    statistic : float or None
        ``D(current ‖ reference)`` of the smoothed 2-D joint, in the report's unit.
    interaction : float or None
        The part of `statistic` that no change of the marginals explains: the divergence of
        the current joint from the reference's dependence rescaled to the current marginals.
        Zero when only the marginals moved; ``statistic = interaction + marginal_part``.
    marginal_part : float or None
        The rest of `statistic`: what the marginals' moves alone explain.
    marginal_x, conditional_y : float or None
        The chain rule: ``statistic = marginal_x + conditional_y``, ``D(P_X ‖ Q_X)`` and
        ``Σ_x P(x) D(P_{Y|x} ‖ Q_{Y|x})``.
    marginal_y : float or None
        ``D(P_Y ‖ Q_Y)`` on the pair's bins.
    pvalue : float or None
        Test of homogeneous association on the raw counts (the same dependence on both
        sides, marginals free: Pearson's X², chi-square with `dof`).
    pvalue_adjusted : float or None
        Adjusted across the report's pairs (Benjamini–Hochberg).
    dof : int
        Degrees of freedom of the test.
    threshold : float
        Smallest interaction that counts as drift (half of it warns).
    mutual_information_reference, mutual_information_current : float or None
        Dependence of X and Y on each side (plug-in, raw counts), in the report's unit.
    n_reference, n_current : int
        Rows counted on each side.
    x_labels, y_labels : tuple of str
        The 2-D bins: groups of X (rows) and of Y (columns).
    reference_counts, current_counts : tuple of tuple of int
        Raw counts per cell.
    contributions : tuple of tuple of float
        Per-cell terms of `interaction` (they sum to it); positive where the current holds
        more rows than the reference's dependence predicts.
    explanations : tuple of str
        Sentences on the dependence and the cells that moved most.
    reason : str or None
        Why the pair was skipped.
    """

    columns: tuple[str, str]
    status: str
    drifted: bool
    statistic: float | None
    interaction: float | None
    marginal_part: float | None
    marginal_x: float | None
    marginal_y: float | None
    conditional_y: float | None
    pvalue: float | None
    pvalue_adjusted: float | None
    dof: int
    threshold: float
    mutual_information_reference: float | None
    mutual_information_current: float | None
    n_reference: int
    n_current: int
    x_labels: tuple[str, ...] = ()
    y_labels: tuple[str, ...] = ()
    reference_counts: tuple[tuple[int, ...], ...] = ()
    current_counts: tuple[tuple[int, ...], ...] = ()
    contributions: tuple[tuple[float, ...], ...] = ()
    explanations: tuple[str, ...] = ()
    reason: str | None = None

    def __repr__(self) -> str:
        def num(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"

        return (
            f"PairDrift(columns={self.columns!r}, status={self.status!r}, statistic={num(self.statistic)}, "
            f"interaction={num(self.interaction)}, pvalue={num(self.pvalue)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form, strict-JSON safe."""
        return json_safe({f.name: (list(getattr(self, f.name)) if f.name == "columns" else getattr(self, f.name)) for f in fields(self)})


class PairResults(dict):  # type: ignore[type-arg]
    """``{(x, y): PairDrift}``, looked up in either order: ``pairs[("dewp", "temp")]`` works too."""

    def __missing__(self, key: Any) -> PairDrift:
        if isinstance(key, tuple) and len(key) == 2 and (key[1], key[0]) in self:
            return self[(key[1], key[0])]
        raise KeyError(f"pair {key!r} is not in the report; pairs: {list(self)}")

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        return isinstance(key, tuple) and len(key) == 2 and dict.__contains__(self, (key[1], key[0]))


PAIR_FRAME_COLUMNS = (
    "status", "drifted", "statistic", "interaction", "marginal_part", "marginal_x", "conditional_y", "pvalue",
    "pvalue_adjusted", "dof", "threshold", "mutual_information_reference", "mutual_information_current",
    "n_reference", "n_current", "reason",
)  # fmt: skip


def _trim(ref: NDArray[np.int64], cur: NDArray[np.int64]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Rows and columns holding any count on either side (the others are no bins of this data)."""
    both = ref + cur
    return both.sum(axis=1) > 0, both.sum(axis=0) > 0


def score_pair(
    reference: PairCounts, current: PairCounts, prof: ReferenceProfile, *, smoothing: float, base: float, threshold: float
) -> PairDrift:
    """Score one pair; its status is decided once every pair's p-value is known."""
    return score_pairs([(reference, current)], prof, smoothing=smoothing, base=base, threshold=threshold)[0]


def score_pairs(
    counted: Sequence[tuple[PairCounts, PairCounts]], prof: ReferenceProfile, *, smoothing: float, base: float, threshold: float
) -> list[PairDrift]:
    """`score_pair` of each (reference, current); the pairs' iterative fits run together
    (`chain_rules_terms`, `association_tests`: the same numbers as one pair at a time)."""
    unit = math.log(base)
    trimmed = []
    for reference, current in counted:
        rows, cols = _trim(reference.table, current.table)
        trimmed.append((rows, cols, reference.table[np.ix_(rows, cols)], current.table[np.ix_(rows, cols)]))
    chains = chain_rules_terms([(cur, ref) for _, _, ref, cur in trimmed], smoothing=smoothing)
    tests = association_tests([(cur, ref) for _, _, ref, cur in trimmed])
    out = []
    for (reference, _), (rows, cols, ref, cur), (parts, terms), (_, dof, pvalue) in zip(counted, trimmed, chains, tests):
        a, b = reference.columns
        x_labels = tuple(np.asarray(group_labels(prof[a], reference.groups[0]), dtype=object)[rows])
        y_labels = tuple(np.asarray(group_labels(prof[b], reference.groups[1]), dtype=object)[cols])
        mi_ref, mi_cur = mutual_information(ref), mutual_information(cur)
        out.append(PairDrift(
            columns=(a, b), status="ok", drifted=False, statistic=parts.joint / unit, interaction=parts.interaction / unit,
            marginal_part=parts.marginal_part / unit, marginal_x=parts.marginal_x / unit, marginal_y=parts.marginal_y / unit,
            conditional_y=parts.conditional_y / unit, pvalue=pvalue, pvalue_adjusted=None, dof=dof, threshold=threshold,
            mutual_information_reference=mi_ref / unit, mutual_information_current=mi_cur / unit,
            n_reference=int(ref.sum()), n_current=int(cur.sum()), x_labels=x_labels, y_labels=y_labels,
            reference_counts=tuple(tuple(int(v) for v in r) for r in ref),
            current_counts=tuple(tuple(int(v) for v in r) for r in cur),
            contributions=tuple(tuple(float(v) / unit for v in r) for r in terms),
            explanations=explain_pair((a, b), ref, cur, terms, x_labels, y_labels, mi_ref, mi_cur),
        ))  # fmt: skip
    return out


def _cell(a: str, b: str, x: str, y: str) -> str:
    def side(name: str, label: str) -> str:
        if label == "(missing)":
            return f"{name} missing"
        if label == "(other values)":
            return f"{name} other values"
        ranged = label[:1] in "([" and ", " in label
        return f"{name} in {label}" if ranged else f"{name} = {label}"

    return f"({side(a, x)}, {side(b, y)})"


def explain_pair(
    columns: tuple[str, str],
    ref: NDArray[np.int64],
    cur: NDArray[np.int64],
    terms: NDArray[np.float64],
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    mi_ref: float,
    mi_cur: float,
    *,
    n_cells: int = 2,
) -> tuple[str, ...]:
    """The dependence on both sides in words, then the cells whose share moved most against
    what the reference's dependence predicts (largest interaction terms), raw shares.

    Examples
    --------
    >>> ref = np.array([[45, 5], [5, 45]]); cur = np.array([[25, 25], [25, 25]])
    >>> explain_pair(("a", "b"), ref, cur, np.array([[-1.0, 2.0], [0.0, 0.0]]), ["low", "high"], ["low", "high"],
    ...              0.37, 0.0)[1]
    'in the current data the cells (a = low, b = high) rose from 5.0% to 25.0%'
    """
    a, b = columns
    n_ref, n_cur = max(int(ref.sum()), 1), max(int(cur.sum()), 1)
    out = [
        f"{a} and {b} were {dependence_word(mi_ref)} related in the reference (mutual information {mi_ref:.3g} nats), "
        f"{dependence_word(mi_cur)} in the current data ({mi_cur:.3g} nats)"
    ]
    order = np.argsort(-np.abs(terms), axis=None, kind="stable")
    for flat in order:
        if len(out) > n_cells:
            break
        i, j = np.unravel_index(int(flat), terms.shape)
        before, after = ref[i, j] / n_ref, cur[i, j] / n_cur
        if abs(after - before) < _MIN_CHANGE:
            continue
        verb = "rose" if after > before else "fell"
        out.append(f"in the current data the cells {_cell(a, b, x_labels[i], y_labels[j])} {verb} from {before:.1%} to {after:.1%}")
    return tuple(out)


def _skipped(pair: PairCounts, reason: str, threshold: float) -> PairDrift:
    return PairDrift(
        columns=pair.columns, status="skipped", drifted=False, statistic=None, interaction=None, marginal_part=None,
        marginal_x=None, marginal_y=None, conditional_y=None, pvalue=None, pvalue_adjusted=None, dof=0,
        threshold=threshold, mutual_information_reference=None, mutual_information_current=None,
        n_reference=pair.n_rows, n_current=0, reason=reason,
    )  # fmt: skip


def select_pairs(prof: ReferenceProfile, pairs: Any) -> tuple[PairCounts, ...]:
    """The profile's pair counts that `pairs` asks for (None or "auto": all of them)."""
    if pairs is None or (isinstance(pairs, str) and pairs == "auto"):
        return prof.pairs
    if isinstance(pairs, str):
        raise ValueError(f"`pairs` must be 'auto' or a sequence of (column, column) pairs, got {pairs!r}")
    held = {p.columns: p for p in prof.pairs}
    chosen = []
    for key in dict.fromkeys(_pair_key(p) for p in pairs):
        found = held.get(key) or held.get((key[1], key[0]))
        if found is None:
            raise ColumnError(
                key[0], f"the profile holds no pair counts for {key!r}; build it with kd.profile(reference, pairs=[{key!r}])"
            )
        chosen.append(found)
    return tuple(chosen)


def chosen_pairs(prof: ReferenceProfile, pairs: Any, columns: Sequence[str] | None = None) -> tuple[PairCounts, ...]:
    """The profile's pair counts a comparison asks for (see `attach_pairs`), or an error
    naming the pair the profile lacks."""
    if pairs == "auto" and not prof.pairs:
        raise ValueError("`pairs`: the profile holds no pair counts; build it with kd.profile(reference, pairs='auto')")
    chosen = select_pairs(prof, pairs)
    if columns is not None and (pairs is None or isinstance(pairs, str)):
        wanted = set(columns)
        chosen = tuple(p for p in chosen if set(p.columns) <= wanted)
    return chosen


def countable_pairs(table: CountTable, pairs: Sequence[PairCounts]) -> list[PairCounts]:
    """The `pairs` whose two columns `table` counted without a problem; an engine counts
    only these (the comparison reports the others as skipped, with their column's reason)."""
    failed = {c.name for c in table if c.problem is not None}
    return [p for p in pairs if failed.isdisjoint(p.columns)]


def count_available_pairs(frame: pd.DataFrame, prof: ReferenceProfile, pairs: Sequence[PairCounts]) -> tuple[PairCounts, ...]:
    """`count_pairs` for an adapter that counts whatever it is given (a GE batch): a pair with
    a column missing from `frame`, or whose values do not fit its bins, is left out; the
    column counts say why, and the comparison reports the pair as skipped."""
    codes: dict[tuple[str, tuple[int, ...]], NDArray[np.uint8] | None] = {}

    def codes_of(name: str, groups: tuple[int, ...]) -> NDArray[np.uint8] | None:
        if (name, groups) not in codes:
            try:
                codes[(name, groups)] = group_codes(frame[name], prof[name], groups) if name in frame.columns else None
            except (ColumnProblem, ValueError, TypeError, OverflowError):
                codes[(name, groups)] = None
        return codes[(name, groups)]

    counted = []
    for pair in pairs:
        cx, cy = codes_of(pair.columns[0], pair.groups[0]), codes_of(pair.columns[1], pair.groups[1])
        if cx is not None and cy is not None:
            counted.append(pair.with_counts(pair_table(cx, cy, pair.table.shape)))
    return tuple(counted)


def attach_pairs(
    report: DriftReport,
    prof: ReferenceProfile,
    current: Any,
    table: CountTable | None,
    pairs: Any,
    opts: CompareOptions,
    columns: Sequence[str] | None = None,
    codes: Mapping[str, NDArray[np.uint8]] | None = None,
    groups: Mapping[str, tuple[int, ...]] | None = None,
) -> DriftReport:
    """The report with its pairs scored and decided (Benjamini–Hochberg across pairs).

    `current` is the current DataFrame, a profile of it holding pair counts
    (``prof.count(chunk)`` merged over chunks), or the current pair counts themselves (a
    tuple of PairCounts, as an engine counted them: a pair it could not count is skipped).
    With `columns` (compare's option) and `pairs` None or "auto", only the profile's pairs of
    two of those columns are compared; pairs named explicitly are compared as named.
    `codes` and `groups`: group codes of the current rows the column count made (see
    `count_pairs`).
    """
    from .profile import ReferenceProfile

    chosen = chosen_pairs(prof, pairs, columns)
    if not chosen:
        return report
    threshold = (opts.min_effect if opts.min_effect is not None else PAIR_MIN_EFFECT / math.log(opts.base))
    problems = {c.name: c.reason or c.problem for c in table.columns.values() if c.problem is not None} if table is not None else {}
    countable = [p for p in chosen if not any(c in problems for c in p.columns)]
    if isinstance(current, tuple) and all(isinstance(p, PairCounts) for p in current):
        held = {p.columns: p for p in current if p.groups == _groups_of(chosen, p.columns)}
        countable = [p for p in countable if p.columns in held]
        counted = [held[p.columns] for p in countable]
    elif isinstance(current, ReferenceProfile):
        held = {p.columns: p for p in current.pairs}
        counted = []
        for p in countable:
            other = held.get(p.columns)
            if other is None or other.groups != p.groups:
                raise ValueError(
                    f"`current`: its profile holds no pair counts for {p.columns!r} in the reference's 2-D bins; "
                    "count it with reference_profile.count(data)"
                )
            counted.append(other)
    elif isinstance(current, pd.DataFrame):
        counted = list(count_pairs(current, prof, countable, codes=codes, groups=groups))
    else:
        raise ValueError(
            "`pairs` needs the current rows (a DataFrame) or a profile of them (reference_profile.count(data)); "
            "a CountTable holds column counts only"
        )
    by_key = dict(zip((p.columns for p in countable), counted))
    compared = [(pair, by_key[pair.columns]) for pair in chosen if pair.columns in by_key]
    scores = iter(score_pairs(compared, prof, smoothing=opts.smoothing, base=opts.base, threshold=threshold))
    results = []
    for pair in chosen:
        if pair.columns in by_key:
            results.append(next(scores))
        else:
            reason = "; ".join(_named(c, str(problems[c])) for c in pair.columns if c in problems) or "the engine could not count it"
            results.append(_skipped(pair, f"not compared: {reason}", threshold))
    scored = [i for i, r in enumerate(results) if r.pvalue is not None]
    adjusted = adjust_pvalues([float(results[i].pvalue or 0.0) for i in scored], PAIR_CORRECTION)
    for i, p_adj in zip(scored, adjusted):
        r = results[i]
        significant = float(p_adj) < opts.alpha
        size = float(r.interaction or 0.0)
        status = "drift" if significant and size >= r.threshold else "warn" if significant and size >= r.threshold / 2 else "ok"
        results[i] = replace(r, status=status, drifted=status == "drift", pvalue_adjusted=float(p_adj))
    decided = PairResults((r.columns, r) for r in results)
    return replace(report, pairs=decided, drifted=report.drifted or any(r.drifted for r in results))


def _named(column: str, reason: str) -> str:
    return reason if repr(column) in reason else f"column {column!r} {reason}"


def _groups_of(pairs: Sequence[PairCounts], columns: tuple[str, str]) -> Any:
    return next((p.groups for p in pairs if p.columns == columns), None)


def pairs_frame(pairs: Mapping[tuple[str, str], PairDrift]) -> pd.DataFrame:
    """One row per pair, indexed by (x, y)."""
    rows = [{"x": k[0], "y": k[1], **{name: getattr(p, name) for name in PAIR_FRAME_COLUMNS}} for k, p in pairs.items()]
    frame = pd.DataFrame(rows, columns=["x", "y", *PAIR_FRAME_COLUMNS])
    return frame.set_index(["x", "y"])
