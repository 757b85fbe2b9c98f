"""Comparing current data with a reference: per-column scores, decisions and the report."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from ._columns import ColumnProblem, count_column
from ._core.divergence import (
    check_base,
    check_direction,
    check_smoothing,
    divergence_terms,
    expected_statistic,
    g_test,
)
from .errors import AllMissingWarning, ColumnError, EmptyDataError, IncompatibleProfilesError
from .profile import _PARALLEL_MIN_ROWS, ColumnProfile, ReferenceProfile, _check_frame, profile
from .report import ColumnDrift, DriftReport

__all__ = ["compare", "score", "DEFAULT_THRESHOLDS"]

# (drift, warn) in nats. KL 0.1 ~ PSI 0.2 for small shifts (Jeffreys ~ 2 KL), the top of
# PSI's "moderate" band; PSI keeps its industry rule of thumb; JS ~ KL / 4 for small shifts.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    "current||reference": (0.1, 0.05),
    "reference||current": (0.1, 0.05),
    "symmetric": (0.25, 0.1),
    "js": (0.025, 0.0125),
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
    direction: str,
    base: float,
) -> dict[str, tuple[float, float]]:
    default_drift, default_warn = (v / math.log(base) for v in DEFAULT_THRESHOLDS[direction])
    drift = _check_level("threshold", threshold) if threshold is not None else default_drift
    if warn_threshold is not None:
        warn = _check_level("warn_threshold", warn_threshold)
    else:
        warn = default_warn if threshold is None else drift * default_warn / default_drift
    per_drift, per_warn = {}, {}
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


def _unscored(
    name: str, kind: str, status: str, reason: str, levels: tuple[float, float], settings: dict[str, Any],
    n_reference: int, n_current: int,
) -> ColumnDrift:
    return ColumnDrift(
        column=name, kind=kind, status=status, drifted=status in ("missing_column", "type_mismatch"),
        statistic=None, threshold=levels[0], warn_threshold=levels[1], pvalue=None, expected_statistic=None,
        dof=0, n_reference=n_reference, n_current=n_current, missing_reference=None, missing_current=None,
        n_inf_reference=0, n_inf_current=0, novel_fraction=None, vanished_fraction=None, bin_labels=(),
        reference_counts=(), current_counts=(), reference_proportions=(), current_proportions=(),
        contributions=(), reason=reason, **settings,
    )


def _scored(
    col: ColumnProfile, current: np.ndarray, n_inf_current: int, levels: tuple[float, float], settings: dict[str, Any]
) -> ColumnDrift:
    ref = np.asarray(col.counts, dtype=np.int64)
    n_ref, n_cur = int(ref.sum()), int(current.sum())
    statistic, contributions = divergence_terms(
        current, ref, direction=settings["direction"], smoothing=settings["smoothing"], base=settings["base"]
    )
    _, dof, pvalue = g_test(current, ref)
    expected = expected_statistic(dof + 1, n_cur, n_ref, direction=settings["direction"], base=settings["base"])
    drift_level, warn_level = levels
    status = "drift" if statistic >= drift_level else "warn" if statistic >= warn_level else "ok"
    reason = None
    if n_cur - int(current[-1]) == 0:
        reason = "all current values are missing"
    return ColumnDrift(
        column=col.name, kind=col.kind, status=status, drifted=status == "drift", statistic=statistic,
        threshold=drift_level, warn_threshold=warn_level, pvalue=pvalue, expected_statistic=expected, dof=dof,
        n_reference=n_ref, n_current=n_cur, missing_reference=float(ref[-1] / n_ref),
        missing_current=float(current[-1] / n_cur), n_inf_reference=col.n_inf, n_inf_current=n_inf_current,
        novel_fraction=float(current[ref == 0].sum() / n_cur),
        vanished_fraction=float(ref[current == 0].sum() / n_ref),
        bin_labels=col.labels, reference_counts=tuple(int(c) for c in ref),
        current_counts=tuple(int(c) for c in current),
        reference_proportions=tuple(float(c) for c in ref / n_ref),
        current_proportions=tuple(float(c) for c in current / n_cur),
        contributions=tuple(float(c) for c in contributions), reason=reason, **settings,
    )


def compare(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame | ReferenceProfile,
    *,
    columns: Sequence[str] | None = None,
    threshold: float | None = None,
    warn_threshold: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    warn_thresholds: Mapping[str, float] | None = None,
    smoothing: float = 0.5,
    direction: str = "current||reference",
    base: float = math.e,
    drift_share: float | None = None,
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
    threshold : float, optional
        Drift level for every column, in the unit of `base`. Default by direction:
        0.1 nats for KL, 0.25 for "symmetric" (PSI), 0.025 for "js".
    warn_threshold : float, optional
        Warn level; default half the KL threshold (0.05 nats; 0.1 for PSI).
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
    """
    smoothing = check_smoothing(smoothing)
    direction = check_direction(direction)
    base = check_base(base)
    if drift_share is not None:
        share = _check_level("drift_share", drift_share)
        if not 0 < share <= 1:
            raise ValueError(f"`drift_share` must be in (0, 1], got {drift_share!r}")
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
    levels = _levels(names, threshold, warn_threshold, thresholds, warn_thresholds, direction, base)
    settings = {"direction": direction, "base": base, "smoothing": smoothing}

    def one(col: ColumnProfile) -> ColumnDrift:
        if col.bins is None:
            return _unscored(col.name, col.kind, "skipped", f"not profiled: {col.reason}", levels[col.name], settings, 0, n_current)
        if col.name not in current_names:
            return _unscored(
                col.name, col.kind, "missing_column", "in the reference profile but not in the current data",
                levels[col.name], settings, col.n_rows, 0,
            )
        try:
            counts, n_inf = counter(col)
        except ColumnProblem as problem:
            status = "type_mismatch" if problem.status == "type_mismatch" else "skipped"
            return _unscored(col.name, col.kind, status, problem.reason, levels[col.name], settings, col.n_rows, n_current)
        return _scored(col, counts, n_inf, levels[col.name], settings)

    if n_current >= _PARALLEL_MIN_ROWS and len(targets) > 1 and not isinstance(current, ReferenceProfile):
        with ThreadPoolExecutor(max_workers=min(len(targets), os.cpu_count() or 1)) as pool:
            results = list(pool.map(one, targets))
    else:
        results = [one(col) for col in targets]
    for name in extra:
        results.append(
            _unscored(name, "skipped", "skipped", "not in the reference profile", levels[name], settings, 0, n_current)
        )
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
    )


Counter = Callable[[ColumnProfile], "tuple[np.ndarray, int]"]


def _frame_counter(frame: pd.DataFrame) -> Counter:
    def count(col: ColumnProfile) -> tuple[np.ndarray, int]:
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

    def count(col: ColumnProfile) -> tuple[np.ndarray, int]:
        other = current[col.name]
        if other.bins is None:
            raise ColumnProblem(f"not counted: {other.reason}")
        return np.asarray(other.counts, dtype=np.int64), other.n_inf

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
