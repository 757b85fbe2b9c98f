"""Great Expectations 1.x expectations for KL drift.

Importing this module registers, with GE:

* ``expect_column_kl_drift_to_be_less_than`` (:class:`ExpectColumnKlDriftToBeLessThan`):
  one column's drift from its reference profile;
* ``expect_table_kl_drift_to_be_less_than`` (:class:`ExpectTableKlDriftToBeLessThan`): every
  profiled column, with the dataset-level rule;
* the metric ``kl_drift.bin_counts`` that both use, for pandas, SQLAlchemy and Spark;
* the metric ``kl_drift.pair_counts`` of the table expectation's ``pairs`` option (column
  pairs on 2-D bins, joint drift), for pandas, SQLAlchemy and Spark.

GE rebuilds saved expectations from registered classes only and silently drops the others,
so import this module before loading a suite, and load with :func:`load_suite` (or verify
with :func:`check_suite`) to turn a dropped expectation into an error.

Examples
--------
>>> import pandas as pd, kl_drift as kd
>>> import kl_drift.gx
>>> prof = kd.profile(pd.DataFrame({"age": [23.0, 35.0, 41.0, 52.0] * 25}))
>>> suite = kd.gx.suite_from_profile(prof, name="orders_drift", threshold=0.1)
>>> suite.expectations[0].expectation_type
'expect_column_kl_drift_to_be_less_than'
"""

from .expectations import ExpectColumnKlDriftToBeLessThan, ExpectTableKlDriftToBeLessThan
from .metrics import BIN_COUNTS, PAIR_COUNTS, KlDriftBinCounts, KlDriftPairCounts
from .suite import EXPECTATION_TYPES, DroppedExpectationsError, check_suite, load_suite, suite_from_profile

__all__ = [
    # expectations
    "ExpectColumnKlDriftToBeLessThan",
    "ExpectTableKlDriftToBeLessThan",
    "EXPECTATION_TYPES",
    # suites
    "suite_from_profile",
    "load_suite",
    "check_suite",
    "DroppedExpectationsError",
    # the metrics
    "BIN_COUNTS",
    "KlDriftBinCounts",
    "PAIR_COUNTS",
    "KlDriftPairCounts",
]
