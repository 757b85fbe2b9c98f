"""The options of a comparison, validated once, with one wording of each error.

`kl_drift.compare`, the Great Expectations expectations and the CLI all validate
through here, so they accept and reject the same values with the same messages.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core.divergence import check_base, check_direction, check_smoothing
from ._core.stats import CORRECTIONS, PVALUE_METHODS
from .errors import ColumnError

__all__ = [
    "CompareOptions",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_MIN_EFFECT",
    "DEFAULT_MAX_PERMUTATIONS",
    "check_level",
    "check_choice",
]

# Most relabellings of a permutation test (it stops early, sequentially, for unremarkable
# columns): p-values down to 1/20001, so a Holm or Bonferroni correction over up to 1,000
# columns can still reach alpha = 0.05. Independent of the number of compared columns.
DEFAULT_MAX_PERMUTATIONS = 20_000

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


def check_level(name: str, value: Any) -> float:
    """`value` as a finite non-negative float, or ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`{name}` must be a finite non-negative number, got {value!r}")
    level = float(value)
    if not math.isfinite(level) or level < 0:
        raise ValueError(f"`{name}` must be a finite non-negative number, got {value!r}")
    return level


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """`value` if it is one of `allowed`, or ValueError naming `name` and the choices."""
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return str(value)


def check_alpha(value: Any) -> float:
    alpha = check_level("alpha", value)
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be in (0, 1), got {value!r}")
    return alpha


def check_drift_share(value: Any) -> float:
    share = check_level("drift_share", value)
    if not 0 < share <= 1:
        raise ValueError(f"`drift_share` must be in (0, 1], got {value!r}")
    return share


def check_n_permutations(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`n_permutations` must be a positive integer, got {value!r}")
    return int(value)


def check_flag(name: str, value: Any) -> bool:
    """`value` if it is a bool, or ValueError naming `name`."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"`{name}` must be True or False, got {value!r}")
    return bool(value)


def check_threshold(value: Any) -> float | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"`threshold` must be a finite non-negative number or 'auto', got {value!r}")
        return value
    return check_level("threshold", value)


@dataclass(frozen=True)
class CompareOptions:
    """Every option of `kl_drift.compare` but the data, validated.

    Build with `resolve`; the per-column drift and warn levels come from
    `levels` once the compared columns are known.
    """

    threshold: float | None = None
    auto: bool = True
    warn_threshold: float | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    warn_thresholds: Mapping[str, float] = field(default_factory=dict)
    smoothing: float = 0.5
    direction: str = "current||reference"
    base: float = math.e
    drift_share: float | None = None
    alpha: float = 0.05
    min_effect: float | None = None
    correction: str = "holm"
    pvalue_method: str = "auto"
    n_permutations: int | None = None
    random_state: int | None = 0
    score_identifiers: bool = False

    @classmethod
    def resolve(
        cls,
        *,
        threshold: float | str | None = "auto",
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
    ) -> CompareOptions:
        """Validate every option; errors name the option and the allowed values."""
        checked = check_threshold(threshold)
        auto = checked == "auto"
        if not auto and min_effect is not None:
            raise ValueError("`min_effect` applies only with threshold='auto'")
        if isinstance(checked, float) and warn_threshold is not None and check_level("warn_threshold", warn_threshold) > checked:
            raise ValueError(
                f"the warn threshold (`warn_threshold`, {warn_threshold:g}) exceeds the drift threshold (`threshold`, {checked:g})"
            )
        per_drift = {str(c): check_level(f"thresholds[{c!r}]", v) for c, v in (thresholds or {}).items()}
        per_warn = {str(c): check_level(f"warn_thresholds[{c!r}]", v) for c, v in (warn_thresholds or {}).items()}
        return cls(
            threshold=None if auto else checked,  # type: ignore[arg-type]
            auto=auto,
            warn_threshold=None if warn_threshold is None else check_level("warn_threshold", warn_threshold),
            thresholds=per_drift,
            warn_thresholds=per_warn,
            smoothing=check_smoothing(smoothing),
            direction=check_direction(direction),
            base=check_base(base),
            drift_share=None if drift_share is None else check_drift_share(drift_share),
            alpha=check_alpha(alpha),
            min_effect=None if min_effect is None else check_level("min_effect", min_effect),
            correction=check_choice("correction", correction, CORRECTIONS),
            pvalue_method=check_choice("pvalue_method", pvalue_method, PVALUE_METHODS),
            n_permutations=None if n_permutations is None else check_n_permutations(n_permutations),
            random_state=random_state,
            score_identifiers=check_flag("score_identifiers", score_identifiers),
        )

    @property
    def settings(self) -> dict[str, Any]:
        """The options every ColumnDrift repeats."""
        return {"direction": self.direction, "base": self.base, "smoothing": self.smoothing}

    @property
    def permutations(self) -> int:
        """Most relabellings of a column's permutation test: the same whatever other columns are
        compared, so a column's p-value never depends on them."""
        return self.n_permutations if self.n_permutations is not None else DEFAULT_MAX_PERMUTATIONS

    def seed_for(self, column: str) -> list[int] | None:
        """The permutation test's seed of one column: `random_state` and the column's name,
        so adding or removing other columns leaves its draws alone."""
        if self.random_state is None:
            return None
        return [int(self.random_state), zlib.crc32(column.encode("utf-8"))]

    def default_levels(self) -> tuple[float, float]:
        """(drift, warn) levels of a column without its own, in the unit of `base`."""
        unit = math.log(self.base)
        if self.auto:
            effect = self.min_effect if self.min_effect is not None else DEFAULT_MIN_EFFECT[self.direction] / unit
            drift, warn = effect, effect / 2
            return drift, (self.warn_threshold if self.warn_threshold is not None else warn)
        default_drift, default_warn = (v / unit for v in DEFAULT_THRESHOLDS[self.direction])
        drift = self.threshold if self.threshold is not None else default_drift
        if self.warn_threshold is not None:
            warn = self.warn_threshold
        else:
            warn = default_warn if self.threshold is None else drift * default_warn / default_drift
        return drift, warn

    def levels(self, names: Sequence[str]) -> dict[str, tuple[float, float]]:
        """(drift, warn) level per compared column; per-column overrides must name one of them."""
        known = set(names)
        for option, per in (("thresholds", self.thresholds), ("warn_thresholds", self.warn_thresholds)):
            for column in per:
                if column not in known:
                    raise ColumnError(column, f"is named in `{option}` but is not a compared column")
        drift, warn = self.default_levels()
        levels = {}
        for column in names:
            d = self.thresholds.get(column, drift)
            if column in self.warn_thresholds:
                w = self.warn_thresholds[column]
            else:
                w = min(warn, d) if column in self.thresholds else warn
            if w > d:
                raise ValueError(f"column {column!r}: the warn threshold ({w:g}) exceeds the drift threshold ({d:g})")
            levels[column] = (d, w)
        return levels
