"""kl_drift: distribution-drift monitoring with smoothed KL divergence.

Count, then compare: bins are fitted on a reference, current data is counted into the same
bins, and the smoothed divergence D(current ‖ reference) scores each column.

Importing the package registers the ``.kl_drift`` pandas accessor (right after pandas is
imported, if it is not yet). It never imports great_expectations or pyspark; their
adapters live in ``kl_drift.gx`` and ``kl_drift.spark``. Nor does it import pandas: a
Parquet comparison never needs it, and the names that do (the accessors, timelines) are
loaded at their first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core.bins import CategoricalBins, NumericBins
from ._core.divergence import DIRECTIONS, js_divergence, kl_divergence
from ._lazy import when_imported
from .compare import DEFAULT_MIN_EFFECT, DEFAULT_THRESHOLDS, compare, count, score
from .counts import ColumnCounts, CountTable
from .dataset import compare_dataset, count_dataset, profile_dataset
from .errors import (
    AllMissingWarning,
    ColumnError,
    ConstantInputWarning,
    DegenerateDataWarning,
    EmptyDataError,
    IncompatibleProfilesError,
    KlDriftError,
    KlDriftWarning,
    ProfileFormatError,
    SkippedColumnWarning,
    SmallSampleWarning,
)
from .profile import ColumnProfile, ReferenceProfile, profile
from .report import ColumnDrift, DriftReport

if TYPE_CHECKING:
    from ._version import __version__
    from .accessor import DataFrameDriftAccessor, SeriesDriftAccessor
    from .timeline import Timeline, compare_over_time

_LAZY = {
    "__version__": "_version",
    "DataFrameDriftAccessor": "accessor",
    "SeriesDriftAccessor": "accessor",
    "Timeline": "timeline",
    "compare_over_time": "timeline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kl_drift' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def _register_accessors(pandas: object) -> None:
    from . import accessor  # noqa: F401  (registering is what importing it does)


when_imported("pandas", _register_accessors)

__all__ = [
    "__version__",
    # pandas-level API
    "profile",
    "compare",
    "score",
    "count",
    # drift over time
    "compare_over_time",
    "Timeline",
    # files larger than memory
    "profile_dataset",
    "compare_dataset",
    "count_dataset",
    # counts: what every engine returns, and compare scores
    "CountTable",
    "ColumnCounts",
    # results and profiles
    "ReferenceProfile",
    "ColumnProfile",
    "DriftReport",
    "ColumnDrift",
    "NumericBins",
    "CategoricalBins",
    # low level, on count vectors
    "kl_divergence",
    "js_divergence",
    "DIRECTIONS",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_MIN_EFFECT",
    # accessors
    "DataFrameDriftAccessor",
    "SeriesDriftAccessor",
    # errors and warnings
    "KlDriftError",
    "ColumnError",
    "EmptyDataError",
    "ProfileFormatError",
    "IncompatibleProfilesError",
    "KlDriftWarning",
    "DegenerateDataWarning",
    "ConstantInputWarning",
    "AllMissingWarning",
    "SmallSampleWarning",
    "SkippedColumnWarning",
]
