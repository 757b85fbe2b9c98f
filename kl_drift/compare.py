"""Comparing current data with a reference: per-column scores, decisions and the report."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._columns import ColumnProblem, Counted, count_column
from ._core.divergence import (
    check_base,
    check_direction,
    check_smoothing,
    divergence_terms,
    expected_statistic,
)
from ._core.bins import CategoricalBins, NumericBins
from ._core.stats import CORRECTIONS, PVALUE_METHODS, adjust_pvalues, drift_pvalue, expand_unseen
from ._explain import explain
from .errors import AllMissingWarning, ColumnError, EmptyDataError, IncompatibleProfilesError
from .profile import _PARALLEL_MIN_ROWS, ColumnProfile, ReferenceProfile, _check_frame, profile
from .report import ColumnDrift, DriftReport

__all__ = ["compare", "score", "DEFAULT_THRESHOLDS", "DEFAULT_MIN_EFFECT"]

# How many values that landed in "(unseen)" a report names as examples.
UNSEEN_EXAMPLES = 5

# (drift, warn) in nats. KL 0.1 ~ PSI 0.2 for small shifts (Jeffreys ~ 2 KL), the top of
# PSI's "moderate" band; PSI keeps its industry rule of thumb; JS ~ KL / 4 for small shifts.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "current||reference": (0.1, 0.05),
    "reference||current": (0.1, 0.05),
    "symmetric": (0.25, 0.1),
    "js": (0.025, 0.0125),
}
# Smallest practically relevant score for threshold="auto", in nats: KL 0.01 is a mean shift
# of about 0.14 standard deviations of a normal variable, or a 50/50 split becoming 57/43.
DEFAULT_MIN_EFFECT: dict[str, float] = {
    "current||reference": 0.01,
    "reference||current": 0.01,
    "symmetric": 0.02,
    "js": 0.0025,
}


def _check_level(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`{name}` must be a finite non-negative number, got {value!r}")
    level = float(value)
    if not math.isfinite(level) or level < 0:
        raise ValueError(f"`{name}` must be a finite non-negative number, got {value!r}")
    return level


def _levels(
    names: Sequence[str],
    threshold: float | None,
    warn_threshold: float | None,
    thresholds: Mapping[str, float] | None,
    warn_thresholds: Mapping[str, float] | None,
    defaults: tuple[float, float],
) -> dict[str, tuple[float, float]]:
    """(drift, warn) level per column from the global, per-column and default levels."""
    default_drift, default_warn = defaults
    drift = _check_level("threshold", threshold) if threshold is not None else default_drift
    if warn_threshold is not None:
        warn = _check_level("warn_threshold", warn_threshold)
    else:
        warn = default_warn if threshold is None else drift * default_warn / default_drift
    per_drift: dict[str, float] = {}
    per_warn: dict[str, float] = {}
    for option, name, target in ((thresholds, "thresholds", per_drift), (warn_thresholds, "warn_thresholds", per_warn)):
        for column, value in (option or {}).items():
            if column not in names:
                raise ColumnError(column, f"is named in `{name}` but is not a compared column")
            target[column] = _check_level(f"{name}[{column!r}]", value)
    levels = {}
    for column in names:
        d = per_drift.get(column, drift)
        w = per_warn.get(column, min(warn, d) if column in per_drift and column not in per_warn else warn)
        if w > d:
            raise ValueError(f"column {column!r}: the warn threshold ({w:g}) exceeds the drift threshold ({d:g})")
        levels[column] = (d, w)
    return levels


@dataclass(frozen=True)
class _Options:
    direction: str
    base: float
    smoothing: float
    auto: bool
    alpha: float
    pvalue_method: str
    n_permutations: int
    random_state: int | None

    @property
    def settings(self) -> dict[str, Any]:
        return {"direction": self.direction, "base": self.base, "smoothing": self.smoothing}


def _unscored(
    name: str, kind: str, status: str, reason: str, levels: tuple[float, float], opts: _Options,
    n_reference: int, n_current: int,
) -> ColumnDrift:
    return ColumnDrift(
        column=name, kind=kind, status=status, drifted=status in ("missing_column", "type_mismatch"),
        statistic=None, threshold=levels[0], warn_threshold=levels[1], pvalue=None, expected_statistic=None,
        dof=0, n_reference=n_reference, n_current=n_current, missing_reference=None, missing_current=None,
        n_inf_reference=0, n_inf_current=0, novel_fraction=None, vanished_fraction=None, bin_labels=(),
        reference_counts=(), current_counts=(), reference_proportions=(), current_proportions=(),
        contributions=(), reason=reason, **opts.settings,
    )


def _scored(col: ColumnProfile, counted: Counted, levels: tuple[float, float], opts: _Options) -> ColumnDrift:
    """Score one column; its status is decided later, once every column's p-value is known."""
    assert col.bins is not None
    ref = np.asarray(col.counts, dtype=np.int64)
    current = np.asarray(counted.counts, dtype=np.int64)
    n_ref, n_cur = int(ref.sum()), int(current.sum())
    statistic, contributions = divergence_terms(
        current, ref, direction=opts.direction, smoothing=opts.smoothing, base=opts.base
    )
    spec = col.bins
    test_cur, test_ref = current.astype(np.float64), ref.astype(np.float64)
    if isinstance(spec, CategoricalBins):
        split = [count for _, count in counted.unseen] if counted.unseen_complete else None
        test_cur, test_ref = expand_unseen(current, ref, spec.unseen_index, split)
    null = "ranks" if isinstance(spec, NumericBins) and spec.strategy == "quantile" else "hypergeometric"
    pvalue, method = drift_pvalue(
        test_cur, test_ref, method=opts.pvalue_method, null=null,
        n_permutations=opts.n_permutations, random_state=opts.random_state,
    )
    dof = max(int(np.count_nonzero(current + ref)) - 1, 0)
    expected = expected_statistic(dof + 1, n_cur, n_ref, direction=opts.direction, base=opts.base)
    ref_props, cur_props = ref / n_ref, current / n_cur
    return ColumnDrift(
        column=col.name, kind=col.kind, status="ok", drifted=False, statistic=statistic,
        threshold=levels[0], warn_threshold=levels[1], pvalue=pvalue, expected_statistic=expected, dof=dof,
        n_reference=n_ref, n_current=n_cur, missing_reference=float(ref_props[-1]),
        missing_current=float(cur_props[-1]), n_inf_reference=col.n_inf, n_inf_current=counted.n_inf,
        novel_fraction=float(current[ref == 0].sum() / n_cur),
        vanished_fraction=float(ref[current == 0].sum() / n_ref),
        bin_labels=col.labels, reference_counts=tuple(int(c) for c in ref),
        current_counts=tuple(int(c) for c in current),
        reference_proportions=tuple(float(c) for c in ref_props),
        current_proportions=tuple(float(c) for c in cur_props),
        contributions=tuple(float(c) for c in contributions),
        reason="all current values are missing" if n_cur == int(current[-1]) else None,
        pvalue_method=method,
        explanations=explain(col.bins, ref_props.tolist(), cur_props.tolist(), contributions.tolist(),
                             unseen_examples=counted.unseen[:UNSEEN_EXAMPLES], n_current=n_cur),
        unseen_examples=counted.unseen[:UNSEEN_EXAMPLES],
        **opts.settings,
    )


def _decide(result: ColumnDrift, adjusted: float, opts: _Options) -> ColumnDrift:
    statistic = result.statistic
    assert statistic is not None
    large = statistic >= result.threshold
    noticeable = statistic >= result.warn_threshold
    if opts.auto:
        significant = adjusted < opts.alpha
        large, noticeable = large and significant, noticeable and significant
    status = "drift" if large else "warn" if noticeable else "ok"
    return replace(result, status=status, drifted=large, pvalue_adjusted=adjusted)


def compare(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame | ReferenceProfile,
    *,
    columns: Sequence[str] | None = None,
    threshold: float | Literal["auto"] | None = None,
    warn_threshold: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    warn_thresholds: Mapping[str, float] | None = None,
    smoothing: float = 0.5,
    direction: str = "current||reference",
    base: float = math.e,
    drift_share: float | None = None,
    alpha: float = 0.05,
    min_effect: float | None = None,
    correction: str = "holm",
    pvalue_method: str = "auto",
    n_permutations: int | None = None,
    random_state: int | None = 0,
    **profile_options: Any,
) -> DriftReport:
    """Score the drift of `current` from a reference, column by column.

    Each column is counted into the reference's bins and scored with the smoothed
    divergence D(current ‖ reference) by default: the extra nats per current row paid by a
    model that still believes the reference.

    Parameters
    ----------
    reference : ReferenceProfile or pandas.DataFrame
        A saved/fitted profile, or reference data to profile first.
    current : pandas.DataFrame or ReferenceProfile
        The data to check, or its counts in the reference's bins (``profile.count(data)``,
        or counts made by another engine such as Spark or a streamed file).
    columns : sequence of str, optional
        Columns to compare (default: every profiled column).
    threshold : float or "auto", optional
        Drift level for every column, in the unit of `base`. Default by direction:
        0.1 nats for KL, 0.25 for "symmetric" (PSI), 0.025 for "js". ``"auto"`` makes the
        decision sample-size aware: a column drifts when its change is both statistically
        significant (adjusted p-value below `alpha`) and at least `min_effect`.
    warn_threshold : float, optional
        Warn level; default half the KL threshold (0.05 nats; 0.1 for PSI). With
        ``threshold="auto"`` it defaults to half of `min_effect`.
    thresholds, warn_thresholds : mapping, optional
        Per-column overrides ``{column: level}``.
    smoothing : float, default 0.5
        Lidstone pseudo-count added to every bin on both sides; 0 disables smoothing (the
        score may then be ``inf``).
    direction : {"current||reference", "reference||current", "symmetric", "js"}
        Which divergence. "symmetric" is Jeffreys, i.e. the PSI.
    base : float, default math.e
        ``math.e`` for nats, 2 for bits.
    drift_share : float, optional
        Dataset rule: drifted when at least this share of compared columns drifted.
        Default: drifted when any column drifted.
    alpha : float, default 0.05
        Significance level for ``threshold="auto"``.
    min_effect : float, optional
        Smallest score that matters for ``threshold="auto"`` (default 0.01 nats for KL,
        0.02 for PSI, 0.0025 for JS); 0 means pure significance.
    correction : {"holm", "bonferroni", "bh", "none"}, default "holm"
        Multiple-testing adjustment of the p-values across columns (``pvalue_adjusted``).
        Holm keeps the chance that an undrifted dataset raises any alarm below `alpha`.
    pvalue_method : {"auto", "asymptotic", "permutation"}, default "auto"
        G-test chi-square approximation, or an exact permutation test on the counts; "auto"
        permutes when some expected count is below 5.
    n_permutations : int, optional
        Permutations for the permutation test. Default: enough that a p-value can still be
        significant after the correction, ``max(2000, 20 * columns / alpha)``.
    random_state : int or None, default 0
        Seed of the permutation test, so reports are reproducible.
    **profile_options
        Passed to :func:`profile` when `reference` is a DataFrame (``bins``, ``edges``, ...).

    Returns
    -------
    DriftReport

    Raises
    ------
    EmptyDataError
        If `current` (or a reference DataFrame) has no rows.
    ColumnError
        For duplicate column names or options naming unknown columns.
    ValueError
        For invalid options, naming the option and the allowed values.

    Examples
    --------
    >>> import numpy as np, pandas as pd, kl_drift as kd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=5000)})
    >>> cur = pd.DataFrame({"x": rng.normal(0.5, 1.0, size=5000)})
    >>> report = kd.compare(ref, cur)
    >>> report.drifted, report["x"].status
    (True, 'drift')
    >>> round(report["x"].statistic, 3)
    0.131
    >>> report["x"].explanations[0]
    'values above 1.29375 rose from 10.0% to 22.0%'
    """
    smoothing = check_smoothing(smoothing)
    direction = check_direction(direction)
    base = check_base(base)
    if drift_share is not None:
        share = _check_level("drift_share", drift_share)
        if not 0 < share <= 1:
            raise ValueError(f"`drift_share` must be in (0, 1], got {drift_share!r}")
    alpha = _check_level("alpha", alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be in (0, 1), got {alpha!r}")
    if correction not in CORRECTIONS:
        raise ValueError(f"`correction` must be one of {', '.join(map(repr, CORRECTIONS))}, got {correction!r}")
    if pvalue_method not in PVALUE_METHODS:
        raise ValueError(f"`pvalue_method` must be one of {', '.join(map(repr, PVALUE_METHODS))}, got {pvalue_method!r}")
    if n_permutations is not None and (
        isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1
    ):
        raise ValueError(f"`n_permutations` must be a positive integer, got {n_permutations!r}")
    auto = isinstance(threshold, str)
    if auto and threshold != "auto":
        raise ValueError(f"`threshold` must be a finite non-negative number or 'auto', got {threshold!r}")
    if not auto and min_effect is not None:
        raise ValueError("`min_effect` applies only with threshold='auto'")
    unit = math.log(base)
    if auto:
        effect = _check_level("min_effect", min_effect) if min_effect is not None else DEFAULT_MIN_EFFECT[direction] / unit
        defaults = (effect, effect / 2)
        threshold = None
    else:
        defaults = (DEFAULT_THRESHOLDS[direction][0] / unit, DEFAULT_THRESHOLDS[direction][1] / unit)

    if isinstance(reference, ReferenceProfile):
        if profile_options:
            raise TypeError(
                f"binning options {sorted(profile_options)} apply only when `reference` is a DataFrame; "
                "this profile's bins are already fixed"
            )
        prof = reference
    elif isinstance(reference, (pd.DataFrame, pd.Series)):
        prof = profile(reference, columns=columns, **profile_options)
    else:
        raise TypeError(f"`reference` must be a ReferenceProfile or a pandas DataFrame, got {type(reference).__name__}")
    if isinstance(current, ReferenceProfile):
        counter = _profile_counter(prof, current)
        current_names, n_current = list(current.names), current.n_rows
    else:
        frame = _check_frame(current, "current")
        counter = _frame_counter(frame)
        current_names, n_current = list(frame.columns), len(frame)
    if n_current == 0:
        raise EmptyDataError("the current data has no rows")
    if columns is not None:
        unknown = [c for c in columns if c not in prof]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
        targets = [prof[c] for c in dict.fromkeys(columns)]
        extra: list[str] = []
    else:
        targets = list(prof.columns)
        extra = [c for c in current_names if c not in prof]
    names = [c.name for c in targets] + extra
    fixed_level = None if isinstance(threshold, str) else threshold
    levels = _levels(names, fixed_level, warn_threshold, thresholds, warn_thresholds, defaults)
    if n_permutations is None:
        # The smallest permutation p-value is 1/(n+1); after a Holm or Bonferroni correction
        # over m columns it must still be able to fall below alpha.
        n_permutations = max(2000, math.ceil(20 * max(len(targets), 1) / alpha))
    opts = _Options(direction, base, smoothing, auto, alpha, pvalue_method, int(n_permutations), random_state)

    def one(col: ColumnProfile) -> ColumnDrift:
        if col.bins is None:
            return _unscored(
                col.name, col.kind, "skipped", f"not profiled: {col.reason}", levels[col.name], opts, prof.n_rows, n_current
            )
        if col.name not in current_names:
            return _unscored(
                col.name, col.kind, "missing_column", "in the reference profile but not in the current data",
                levels[col.name], opts, col.n_rows, 0,
            )
        try:
            counted = counter(col)
        except ColumnProblem as problem:
            status = "type_mismatch" if problem.status == "type_mismatch" else "skipped"
            return _unscored(col.name, col.kind, status, problem.reason, levels[col.name], opts, col.n_rows, n_current)
        return _scored(col, counted, levels[col.name], opts)

    if n_current >= _PARALLEL_MIN_ROWS and len(targets) > 1 and not isinstance(current, ReferenceProfile):
        with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 1)) as pool:
            results = list(pool.map(one, targets))
    else:
        results = [one(col) for col in targets]
    scored = [i for i, r in enumerate(results) if r.pvalue is not None]
    adjusted = adjust_pvalues([float(results[i].pvalue or 0.0) for i in scored], correction)
    for i, p_adj in zip(scored, adjusted):
        results[i] = _decide(results[i], float(p_adj), opts)
    for name in extra:
        results.append(_unscored(name, "skipped", "skipped", "not in the reference profile", levels[name], opts, 0, n_current))
    for result in results:
        if result.reason == "all current values are missing":
            warnings.warn(f"column {result.column!r}: all {result.n_current} current values are missing", AllMissingWarning, stacklevel=2)
    compared = [r for r in results if r.status != "skipped"]
    n_drifted = sum(r.drifted for r in compared)
    if drift_share is None:
        drifted = n_drifted > 0
    else:
        drifted = bool(compared) and n_drifted / len(compared) >= float(drift_share)
    return DriftReport(
        columns=tuple(results), drifted=drifted, drift_share=None if drift_share is None else float(drift_share),
        direction=direction, base=base, smoothing=smoothing, n_reference=prof.n_rows, n_current=n_current,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        threshold_mode="auto" if auto else "fixed", alpha=alpha, correction=correction,
    )


Counter = Callable[[ColumnProfile], Counted]


def _frame_counter(frame: pd.DataFrame) -> Counter:
    def count(col: ColumnProfile) -> Counted:
        assert col.bins is not None
        return count_column(frame[col.name], col.kind, col.bins)

    return count


def _profile_counter(reference: ReferenceProfile, current: ReferenceProfile) -> Counter:
    """Counts already made by another engine (Spark, SQL, a streamed file) into the same bins."""
    for col in reference.columns:
        if col.name in current and col.bins is not None:
            other = current[col.name]
            if other.bins is not None and (other.kind, other.bins) != (col.kind, col.bins):
                raise IncompatibleProfilesError(
                    f"column {col.name!r}: the current profile was counted into different bins than the reference"
                )

    def count(col: ColumnProfile) -> Counted:
        other = current[col.name]
        if other.kind == "type_mismatch":
            raise ColumnProblem(other.reason or "the current column's type does not fit the reference bins", "type_mismatch")
        if other.bins is None:
            raise ColumnProblem(f"not counted: {other.reason}")
        return Counted(np.asarray(other.counts, dtype=np.int64), other.n_inf, other.unseen, other.unseen_complete)

    return count


def score(
    reference: pd.Series | ColumnProfile,
    current: pd.Series,
    **options: Any,
) -> ColumnDrift:
    """Drift of one column: :func:`compare` for a pair of Series.

    Parameters
    ----------
    reference : pandas.Series or ColumnProfile
        Reference values, or one column of a :class:`ReferenceProfile`.
    current : pandas.Series
        Current values; its name is used if it has one.
    **options
        Any option of :func:`compare` (``smoothing``, ``direction``, ``threshold``, ``bins``...).

    Returns
    -------
    ColumnDrift

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> ref = pd.Series(["web"] * 60 + ["app"] * 40, name="channel")
    >>> cur = pd.Series(["web"] * 30 + ["app"] * 60 + ["store"] * 10, name="channel")
    >>> result = kd.score(ref, cur)
    >>> result.status, result.novel_fraction
    ('drift', 0.1)
    """
    if not isinstance(current, pd.Series):
        raise TypeError(f"`current` must be a pandas Series, got {type(current).__name__}")
    if isinstance(reference, ColumnProfile):
        name = reference.name
        prof = ReferenceProfile((reference,), reference.n_rows)
    elif isinstance(reference, pd.Series):
        name = str(current.name if current.name is not None else reference.name if reference.name is not None else "value")
        prof = profile(reference.rename(name).to_frame(), **_pop_profile_options(options, name))
    else:
        raise TypeError(f"`reference` must be a pandas Series or a ColumnProfile, got {type(reference).__name__}")
    report = compare(prof, current.rename(name).to_frame(), **options)
    return report[name]


_PROFILE_OPTIONS = ("bins", "strategy", "edges", "categorical", "max_categories", "discrete_threshold")


def _pop_profile_options(options: dict[str, Any], name: str) -> dict[str, Any]:
    """Binning options for a single Series: ``edges=[...]`` and ``categorical=True`` apply to it."""
    chosen = {k: options.pop(k) for k in _PROFILE_OPTIONS if k in options}
    if isinstance(chosen.get("categorical"), bool):
        chosen["categorical"] = [name] if chosen["categorical"] else []
    if "edges" in chosen and not isinstance(chosen["edges"], Mapping):
        chosen["edges"] = {name: chosen["edges"]}
    return chosen
