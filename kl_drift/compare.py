"""Comparing current data with a reference: the front end of count, then score.

`compare` validates the options once (`CompareOptions`),
has an engine count the current data (`CountTable`), and scores
the counts (`score_table`). It never scores rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ._engines import pandas as pandas_engine
from ._options import DEFAULT_MIN_EFFECT, DEFAULT_THRESHOLDS, CompareOptions
from ._scoring import score_table, table_from_profile
from .counts import CountTable
from .errors import ColumnError, EmptyDataError
from .profile import ColumnProfile, ReferenceProfile, _check_frame, profile
from .report import ColumnDrift, DriftReport

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

__all__ = ["compare", "count", "score", "DEFAULT_THRESHOLDS", "DEFAULT_MIN_EFFECT"]


def compare(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame | CountTable | ReferenceProfile,
    *,
    columns: Sequence[str] | None = None,
    threshold: float | Literal["auto"] | None = "auto",
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
    score_identifiers: bool = False,
    pairs: str | Sequence[tuple[str, str]] | None = None,
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
    current : pandas.DataFrame or CountTable
        The data to check, or its counts in the reference's bins made by any engine
        (`kl_drift.count`, ``kl_drift.spark.count``, a streamed file). A
        ReferenceProfile of counts (``profile.count(data)``) is accepted too.
    columns : sequence of str, optional
        Columns to compare (default: every profiled column).
    threshold : "auto", float or None, default "auto"
        How a column's drift is decided. ``"auto"`` (the default) is sample-size aware: a
        column drifts when its change is both statistically significant (p-value adjusted
        across columns below `alpha`) and at least `min_effect` in size, so pure noise
        alarms at about rate `alpha` whatever the number of rows, bins or distinct values
        (new values are judged against what sampling alone leaves unseen). A number is a
        fixed drift level for every column, in the unit of `base`: the score alone decides,
        and a warning says when the score expected from noise alone is a large share of it.
        None is the fixed level by direction: 0.1 nats for KL, 0.25 for "symmetric" (PSI),
        0.025 for "js".
    warn_threshold : float, optional
        Warn level; with ``threshold="auto"`` half of `min_effect`, with a fixed threshold
        half of it (0.05 nats for KL's default; 0.1 for PSI).
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
        Most relabellings of a column's permutation test, which stops early once 20 were
        as extreme as the data (default 20,000: p-values down to 1/20,001, enough for a
        correction over 1,000 columns). The same for every column, whatever their number.
    random_state : int or None, default 0
        Seed of the permutation test, combined with each column's name, so reports are
        reproducible and a column's p-value does not depend on the other columns.
    score_identifiers : bool, default False
        Score identifier-like columns too (nearly every reference value distinct: keys, row
        ids, timestamps held as text). By default they are reported with status
        "identifier" and a reason: a sample of such values says nothing about the next
        batch's, whose values are new by design.
    pairs : "auto" or sequence of (str, str), optional
        Joint drift of column pairs (`kl_drift.pairs`), in ``report.pairs``: with a
        DataFrame reference the pairs named, or ``"auto"`` the strongest dependences
        (``max_pairs=10``, passed on to `profile`); with a profile, its pairs (all of them
        for ``"auto"``). None (the default) compares the profile's pairs when it holds any
        and the current data are rows or a profile of them; with `columns`, only pairs of
        two of those columns (pairs named here are compared as named). A pair drifts when its
        interaction (the part no change of the two marginals explains) is significant
        after Benjamini–Hochberg across pairs and at least `min_effect` (0.01 nats).
    **profile_options
        Passed to `profile` when `reference` is a DataFrame (``bins``, ``edges``, ...).

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
    0.135
    >>> report["x"].explanations[0]
    'values in (1.29375, 3.2572] rose from 10.0% to 21.8%'
    """
    opts = CompareOptions.resolve(
        threshold=threshold, warn_threshold=warn_threshold, thresholds=thresholds, warn_thresholds=warn_thresholds,
        smoothing=smoothing, direction=direction, base=base, drift_share=drift_share, alpha=alpha,
        min_effect=min_effect, correction=correction, pvalue_method=pvalue_method, n_permutations=n_permutations,
        random_state=random_state, score_identifiers=score_identifiers,
    )  # fmt: skip
    if isinstance(reference, ReferenceProfile):
        if profile_options:
            raise TypeError(
                f"binning options {sorted(profile_options)} apply only when `reference` is a DataFrame; "
                "this profile's bins are already fixed"
            )
        prof = reference
    elif isinstance(reference, (pd.DataFrame, pd.Series)):
        prof = profile(reference, columns=columns, pairs=pairs, **profile_options)
    else:
        raise TypeError(f"`reference` must be a ReferenceProfile or a pandas DataFrame, got {type(reference).__name__}")
    if columns is not None:
        unknown = [c for c in columns if c not in prof]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
    # Paired columns' group codes, made by the column count that reads the same rows.
    pair_groups: dict[str, tuple[int, ...]] = {}
    pair_codes: dict[str, Any] = {}
    if isinstance(current, CountTable):
        table = current
    elif isinstance(current, ReferenceProfile):
        table = table_from_profile(prof, current)
    else:
        frame = _check_frame(current, "current")
        if len(frame) == 0:
            raise EmptyDataError("the current data has no rows")
        if prof.pairs:
            from .pairs import wanted_groups

            pair_groups = wanted_groups(prof, pairs, columns)
        table = pandas_engine.count(prof, frame, columns=columns, pair_groups=pair_groups, pair_codes=pair_codes)
    report = score_table(prof, table, opts, columns=columns)
    counted_pairs = isinstance(current, CountTable) and bool(current.pairs)
    if pairs is None and (not prof.pairs or (isinstance(current, CountTable) and not counted_pairs)):
        return report
    from .pairs import attach_pairs

    rows = current.pairs if counted_pairs else frame if not isinstance(current, (CountTable, ReferenceProfile)) else current
    return attach_pairs(report, prof, rows, table, pairs, opts, columns=columns, codes=pair_codes, groups=pair_groups)


def count(
    reference: ReferenceProfile,
    data: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    pairs: str | Sequence[tuple[str, str]] | None = None,
) -> CountTable:
    """Count a DataFrame into a profile's bins, without scoring: the pandas engine.

    Count tables of chunks merge (`CountTable.merge`), and `compare` scores a
    table as it scores the data it was counted from.

    Parameters
    ----------
    reference : ReferenceProfile
        The bins to count into.
    data : pandas.DataFrame
        The current data.
    columns : sequence of str, optional
        Profile columns to count (default: all).
    pairs : "auto" or sequence of (str, str), optional
        The profile's column pairs to count on their 2-D bins, chosen as `compare` chooses
        them: by default (or "auto") every pair the profile holds, only those of two of
        `columns` when `columns` is given; pairs named are counted as named. The paired
        columns' group codes come from the column count's own pass.

    Returns
    -------
    CountTable
        Its ``pairs`` hold the pair counts; a pair with a column that could not be counted
        (missing, or of a type that does not fit its bins) is left out, and `compare`
        reports it as skipped.

    Raises
    ------
    ColumnError
        For a column in `columns`, or a pair in `pairs`, that the profile does not hold.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> prof = kd.profile(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 5}), bins=2, discrete_threshold=0)
    >>> chunks = [pd.DataFrame({"x": [1.0, 4.0]}), pd.DataFrame({"x": [4.0, None]})]
    >>> table = kd.count(prof, chunks[0]).merge(kd.count(prof, chunks[1]))
    >>> table["x"].counts  # below the reference minimum, [1, 2], (2, 4], above 4, missing
    (0, 1, 2, 0, 1)
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(reference).__name__}")
    frame = _check_frame(data, "data")
    if columns is not None:
        unknown = [c for c in columns if c not in reference]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
    if pairs is None and not reference.pairs:
        return pandas_engine.count(reference, frame, columns=columns)
    from dataclasses import replace

    from .pairs import chosen_pairs, count_pairs, countable_pairs, pair_column_groups

    chosen = chosen_pairs(reference, pairs, columns)
    groups = pair_column_groups(chosen)
    codes: dict[str, Any] = {}
    table = pandas_engine.count(reference, frame, columns=columns, pair_groups=groups, pair_codes=codes)
    countable = countable_pairs(table, chosen)
    return replace(table, pairs=count_pairs(frame, reference, countable, codes=codes, groups=groups))


def score(
    reference: pd.Series | ColumnProfile,
    current: pd.Series,
    **options: Any,
) -> ColumnDrift:
    """Drift of one column: `compare` for a pair of Series.

    Parameters
    ----------
    reference : pandas.Series or ColumnProfile
        Reference values, or one column of a `ReferenceProfile`.
    current : pandas.Series
        Current values; its name is used if it has one.
    **options
        Any option of `compare` (``smoothing``, ``direction``, ``threshold``, ``bins``...).

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


_PROFILE_OPTIONS = ("bins", "strategy", "edges", "categorical", "max_categories", "discrete_threshold", "parse_dates")


def _pop_profile_options(options: dict[str, Any], name: str) -> dict[str, Any]:
    """Binning options for a single Series: ``edges=[...]`` and ``categorical=True`` apply to it."""
    chosen = {k: options.pop(k) for k in _PROFILE_OPTIONS if k in options}
    if isinstance(chosen.get("categorical"), bool):
        chosen["categorical"] = [name] if chosen["categorical"] else []
    if "edges" in chosen and not isinstance(chosen["edges"], Mapping):
        chosen["edges"] = {name: chosen["edges"]}
    return chosen
