"""Drift results: one `ColumnDrift` per column, gathered in a `DriftReport`."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pairs import PairDrift

__all__ = ["ColumnDrift", "DriftReport", "STATUSES"]

STATUSES = ("ok", "warn", "drift", "missing_column", "type_mismatch", "skipped", "identifier")


def json_safe(value: Any) -> Any:
    """Recursively replace non-finite floats by the strings "inf", "-inf", "nan" (strict JSON)."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


class _Deferred(tuple):  # type: ignore[type-arg]
    """A value written the first time it is read: ``_Deferred((func, *args))()`` is
    ``func(*args)``.

    What `ColumnDrift.explanations` may hold until it is read: the sentences are text made
    from the result's numbers, which reports that never show them (a timeline's heatmap and
    charts, `to_frame`) need not pay for. One tuple, so that the thousands of results a
    timeline holds add one object each for the garbage collector to walk, not three.
    """

    __slots__ = ()

    def __call__(self) -> Any:
        return self[0](*self[1:])


class _WrittenWhenRead:
    """A dataclass field whose stored value may be a `_Deferred`, replaced by what it writes
    on the first read (the instance's ``__dict__`` keeps the field's own name, so ``vars``,
    pickling and copies see the same keys; equality, ``repr``, `to_dict` and
    ``dataclasses.replace`` read through here and see the written value)."""

    def __init__(self, default: Any) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self.default  # the dataclass's default for the field
        stored = obj.__dict__.get(self.name, self.default)
        if isinstance(stored, _Deferred):
            stored = obj.__dict__[self.name] = stored()
        return stored

    def __set__(self, obj: Any, value: Any) -> None:
        # Frozen dataclasses set fields with object.__setattr__, which lands here.
        obj.__dict__[self.name] = value


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column: the score, the decision and what drove it.

    Attributes
    ----------
    column : str
        Column name.
    kind : str
        "numeric", "datetime", "categorical", "boolean" (or "skipped").
    status : {"ok", "warn", "drift", "missing_column", "type_mismatch", "skipped", "identifier"}
        The decision; see `reason` for the last four. "identifier": nearly every reference
        value is distinct (keys, row ids, timestamps held as text), so the column is not
        scored unless ``compare(..., score_identifiers=True)``.
    drifted : bool
        True for "drift", "missing_column" and "type_mismatch".
    statistic : float or None
        The smoothed divergence in the chosen `direction` and `base`; None when the column
        could not be compared. ``inf`` only with ``smoothing=0``.
    threshold, warn_threshold : float
        Drift and warn levels, in the same unit as `statistic`.
    pvalue : float or None
        G-test of homogeneity on the raw counts (chi2 with `dof` degrees of freedom).
    expected_statistic : float or None
        The score expected from sampling noise alone, ``(k-1)/(scale*n_eff)``.
    dof : int
        Degrees of freedom: bins holding any count, minus one.
    direction : str
        "current||reference" (default), "reference||current", "symmetric" or "js".
    base : float
        Logarithm base: e (nats) or 2 (bits).
    smoothing : float
        Lidstone pseudo-count per bin.
    n_reference, n_current : int
        Rows compared on each side, missing values included.
    missing_reference, missing_current : float or None
        Fraction of missing values on each side.
    n_inf_reference, n_inf_current : int
        ±inf values, counted in the tail bins.
    novel_fraction : float or None
        Categorical columns: share of current rows holding values the reference never had
        (values it saw but pooled are not new). Numeric and datetime columns: share of
        current rows in bins where the reference had no rows, values beyond its range
        included (see `out_of_range_fraction`).
    vanished_fraction : float or None
        Share of reference rows in bins the current has none of.
    bin_labels : tuple of str
        Bin labels.
    reference_counts, current_counts : tuple of int
        Raw counts per bin.
    reference_proportions, current_proportions : tuple of float
        Raw (unsmoothed) proportions per bin.
    contributions : tuple of float
        Per-bin terms of the smoothed divergence; they sum to `statistic`.
    reason : str or None
        Why a column was skipped, missing or mismatched, or a note on the data.
    pvalue_method : str or None
        "asymptotic" (G-test, chi-square) or "permutation" (exact, on the counts).
    pvalue_adjusted : float or None
        `pvalue` adjusted for the number of columns tested (the report's `correction`).
    explanations : tuple of str
        Sentences on the bins that moved most, e.g. "missing rate rose from 1.0% to 12.0%".
        Results scored by the library write them from their own numbers when first read
        (a timeline's heatmap and frame never read them); the value is the same either way.
    unseen_examples : tuple of (value, count)
        The most frequent current values the reference never had.
    expected_novel_fraction : float or None
        Categorical columns: the share of current rows expected to hold values the reference
        lacks from sampling alone, under no drift — the reference's missing mass
        (Good–Turing: values it saw once, over its rows). `novel_fraction` is judged
        against it. None for other columns and for profiles written by 0.1.0.
    out_of_range_fraction : float or None
        Numeric and datetime columns: the share of current rows below the reference's
        minimum or above its maximum. None for other columns and for profiles written by
        0.1.0 (they do not keep the range).
    """

    column: str
    kind: str
    status: str
    drifted: bool
    statistic: float | None
    threshold: float
    warn_threshold: float
    pvalue: float | None
    expected_statistic: float | None
    dof: int
    direction: str
    base: float
    smoothing: float
    n_reference: int
    n_current: int
    missing_reference: float | None
    missing_current: float | None
    n_inf_reference: int
    n_inf_current: int
    novel_fraction: float | None
    vanished_fraction: float | None
    bin_labels: tuple[str, ...]
    reference_counts: tuple[int, ...]
    current_counts: tuple[int, ...]
    reference_proportions: tuple[float, ...]
    current_proportions: tuple[float, ...]
    contributions: tuple[float, ...]
    reason: str | None = None
    pvalue_method: str | None = None
    pvalue_adjusted: float | None = None
    explanations: tuple[str, ...] = _WrittenWhenRead(())  # type: ignore[assignment]
    unseen_examples: tuple[tuple[Any, int], ...] = ()
    expected_novel_fraction: float | None = None
    out_of_range_fraction: float | None = None

    def __repr__(self) -> str:
        parts = [
            f"column={self.column!r}",
            f"status={self.status!r}",
            f"statistic={_fmt(self.statistic)}",
            f"threshold={_fmt(self.threshold)}",
            f"pvalue={_fmt(self.pvalue, 3)}",
            f"n_reference={self.n_reference}",
            f"n_current={self.n_current}",
        ]
        if self.reason:
            parts.append(f"reason={self.reason!r}")
        return f"ColumnDrift({', '.join(parts)})"

    def top_contributions(self, n: int = 3) -> list[dict[str, Any]]:
        """The `n` bins that moved the score most, largest absolute contribution first.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd
        >>> ref = pd.Series(["a"] * 50 + ["b"] * 50, name="plan")
        >>> cur = pd.Series(["a"] * 20 + ["b"] * 70 + ["c"] * 10, name="plan")
        >>> kd.score(ref, cur).top_contributions(1)[0]["bin"]
        '(unseen)'
        """
        ranked = sorted(
            range(len(self.contributions)), key=lambda i: (-abs(self.contributions[i]), i)
        )
        return [
            {
                "bin": self.bin_labels[i],
                "reference_proportion": self.reference_proportions[i],
                "current_proportion": self.current_proportions[i],
                "contribution": self.contributions[i],
            }
            for i in ranked[:n]
            if self.contributions[i] != 0
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form, strict-JSON safe (non-finite floats become strings)."""
        return json_safe({f.name: getattr(self, f.name) for f in fields(self)})


_FRAME_COLUMNS = (
    "kind",
    "status",
    "drifted",
    "statistic",
    "threshold",
    "warn_threshold",
    "pvalue",
    "pvalue_adjusted",
    "expected_statistic",
    "n_reference",
    "n_current",
    "missing_reference",
    "missing_current",
    "novel_fraction",
    "expected_novel_fraction",
    "out_of_range_fraction",
    "vanished_fraction",
    "reason",
)


@dataclass(frozen=True)
class DriftReport:
    """Per-column drift results and the dataset-level decision.

    Attributes
    ----------
    columns : tuple of ColumnDrift
        One result per column.
    drifted : bool
        Dataset decision: any column drifted, or (with `drift_share`) at least that share
        of the compared columns.
    drift_share : float or None
        The share rule in force, None for "any column".
    direction, base, smoothing
        As for each column.
    n_reference, n_current : int
        Rows on each side.
    created_at : str
        ISO 8601 time of the comparison (UTC).
    threshold_mode : {"fixed", "auto"}
        Fixed score thresholds, or significance plus minimum effect (``threshold="auto"``).
    alpha : float
        Significance level used by ``threshold="auto"``.
    correction : str
        Multiple-testing adjustment behind each column's `pvalue_adjusted`.
    pairs : mapping of (str, str) to PairDrift
        Joint drift of column pairs (``compare(..., pairs=...)``, `kl_drift.pairs`), looked
        up in either order; empty unless pairs were compared. A drifted pair makes the
        report `drifted` too.
    """

    columns: tuple[ColumnDrift, ...]
    drifted: bool
    drift_share: float | None
    direction: str
    base: float
    smoothing: float
    n_reference: int
    n_current: int
    created_at: str
    threshold_mode: str = "fixed"
    alpha: float = 0.05
    correction: str = "holm"
    pairs: Mapping[tuple[str, str], PairDrift] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ColumnDrift:
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(f"column {name!r} is not in the report; columns: {[c.column for c in self.columns]}")

    def __iter__(self) -> Iterator[ColumnDrift]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return any(c.column == name for c in self.columns)

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns whose `drifted` is True."""
        return [c.column for c in self.columns if c.drifted]

    def __repr__(self) -> str:
        lines = [
            f"DriftReport(drifted={self.drifted}, columns={len(self.columns)}, "
            f"drifted_columns={self.drifted_columns}, direction={self.direction!r}, "
            f"n_reference={self.n_reference}, n_current={self.n_current})"
        ]
        for c in self.columns:
            lines.append(
                f"  {c.column!s:<24} {c.status:<14} statistic={_fmt(c.statistic):<9} "
                f"threshold={_fmt(c.threshold):<7} pvalue={_fmt(c.pvalue, 3)}"
            )
        for p in self.pairs.values():
            lines.append(
                f"  {p.columns[0]} × {p.columns[1]!s:<20} {p.status:<14} statistic={_fmt(p.statistic):<9} "
                f"interaction={_fmt(p.interaction):<9} pvalue={_fmt(p.pvalue, 3)}"
            )
        return "\n".join(lines)

    def to_frame(self) -> Any:
        """One row per column, indexed by column name.

        Examples
        --------
        >>> import pandas as pd, kl_drift as kd
        >>> ref = pd.DataFrame({"x": ["a", "b"] * 50})
        >>> kd.compare(ref, ref).to_frame()[["statistic", "status", "drifted"]]
                statistic status  drifted
        column
        x             0.0     ok    False
        """
        import pandas as pd

        rows = {c.column: {name: getattr(c, name) for name in _FRAME_COLUMNS} for c in self.columns}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(_FRAME_COLUMNS))
        for name in ("statistic", "threshold", "warn_threshold", "pvalue", "pvalue_adjusted", "expected_statistic"):
            frame[name] = frame[name].astype("float64")
        frame.index.name = "column"
        return frame

    def pairs_to_frame(self) -> Any:
        """One row per compared pair, indexed by (x, y); empty when no pairs were compared."""
        from .pairs import pairs_frame

        return pairs_frame(self.pairs)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form, strict-JSON safe (non-finite floats become strings)."""
        out = json_safe(
            {
                "drifted": self.drifted,
                "drifted_columns": self.drifted_columns,
                "drift_share": self.drift_share,
                "direction": self.direction,
                "base": self.base,
                "unit": "nats" if self.base == math.e else "bits",
                "smoothing": self.smoothing,
                "n_reference": self.n_reference,
                "n_current": self.n_current,
                "created_at": self.created_at,
                "threshold_mode": self.threshold_mode,
                "alpha": self.alpha,
                "correction": self.correction,
                "columns": [c.to_dict() for c in self.columns],
            }
        )
        if self.pairs:
            out["pairs"] = [p.to_dict() for p in self.pairs.values()]
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        """Strict JSON text: no NaN or Infinity literals."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def _repr_html_(self) -> str:
        esc = html.escape
        verdict = '<b style="color:#b00">drift</b>' if self.drifted else "no drift"
        head = (
            f"<p><b>kl_drift report</b>: {verdict}"
            f" · {len(self.drifted_columns)} of {len(self.columns)} columns drifted"
            f" · D({esc(self.direction.replace('||', ' ‖ '))}) · n_reference={self.n_reference}"
            f" · n_current={self.n_current}</p>"
        )
        cells = "".join(
            f"<tr><td>{esc(str(c.column))}</td><td>{esc(c.status)}</td><td>{_fmt(c.statistic)}</td>"
            f"<td>{_fmt(c.threshold)}</td><td>{_fmt(c.pvalue, 3)}</td><td>{c.n_reference}</td>"
            f"<td>{c.n_current}</td><td>{esc(c.reason or '')}</td></tr>"
            for c in self.columns
        )
        return (
            head
            + "<table><thead><tr><th>column</th><th>status</th><th>statistic</th><th>threshold</th>"
            + "<th>p-value</th><th>n_reference</th><th>n_current</th><th>reason</th></tr></thead>"
            + f"<tbody>{cells}</tbody></table>"
        )
