"""kl_drift: distribution-drift monitoring with smoothed KL divergence.

Count, then compare: bins are fitted on a reference, current data is counted into the same
bins, and the smoothed divergence D(current ‖ reference) scores each column.

Importing the package registers the ``.kl_drift`` pandas accessor. It never imports
great_expectations or pyspark; their adapters live in ``kl_drift.gx`` and ``kl_drift.spark``.
"""

from ._core.bins import CategoricalBins, NumericBins
from ._core.divergence import DIRECTIONS, js_divergence, kl_divergence
from ._version import __version__
from .accessor import DataFrameDriftAccessor, SeriesDriftAccessor
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
from .timeline import Timeline, compare_over_time

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
