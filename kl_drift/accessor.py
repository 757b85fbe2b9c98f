"""The ``.kl_drift`` accessor on pandas DataFrames and Series.

Thin by design: each method is one call to a public function, so the accessor and the
functions can never disagree. pandas 3 builds a new accessor object on every attribute
access (pandas 2 cached it); we cache it on the object ourselves so both behave the same
and ``df.kl_drift is df.kl_drift``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .compare import compare, score
from .profile import ColumnProfile, ReferenceProfile, profile
from .report import ColumnDrift, DriftReport

if TYPE_CHECKING:
    from .timeline import Timeline

__all__ = ["DataFrameDriftAccessor", "SeriesDriftAccessor"]

_CACHE_ATTRIBUTE = "_kl_drift_accessor"


class _CachedPerObject:
    """One accessor instance per pandas object, stored in the object's own ``__dict__``."""

    _obj: Any

    def __new__(cls, pandas_obj: Any) -> Any:
        cached = pandas_obj.__dict__.get(_CACHE_ATTRIBUTE)
        if type(cached) is cls:
            return cached
        self = super().__new__(cls)
        self._obj = pandas_obj
        # object.__setattr__ bypasses pandas' column-assignment __setattr__.
        object.__setattr__(pandas_obj, _CACHE_ATTRIBUTE, self)
        return self


@pd.api.extensions.register_dataframe_accessor("kl_drift")
class DataFrameDriftAccessor(_CachedPerObject):
    """``df.kl_drift``: profile this frame, or compare it (as current) with a reference.

    Examples
    --------
    >>> import pandas as pd, kl_drift
    >>> ref = pd.DataFrame({"plan": ["a", "b"] * 50})
    >>> cur = pd.DataFrame({"plan": ["a"] * 90 + ["b"] * 10})
    >>> cur.kl_drift.compare(ref).drifted
    True
    >>> ref.kl_drift is ref.kl_drift
    True
    """

    def profile(self, **options: Any) -> ReferenceProfile:
        """`kl_drift.profile` of this DataFrame."""
        return profile(self._obj, **options)

    def compare(self, reference: ReferenceProfile | pd.DataFrame, **options: Any) -> DriftReport:
        """`kl_drift.compare` with this DataFrame as the current data."""
        return compare(reference, self._obj, **options)

    def over_time(self, time_column: str, *, freq: str, **options: Any) -> Timeline:
        """`kl_drift.compare_over_time` of this DataFrame by `time_column`."""
        # Imported here: the accessor is registered when pandas finishes importing, which may
        # happen while kl_drift.timeline (which imports pandas) is still being imported.
        from .timeline import compare_over_time

        return compare_over_time(self._obj, time_column=time_column, freq=freq, **options)


@pd.api.extensions.register_series_accessor("kl_drift")
class SeriesDriftAccessor(_CachedPerObject):
    """``series.kl_drift``: score this Series (as current) against a reference Series.

    Examples
    --------
    >>> import pandas as pd, kl_drift
    >>> ref = pd.Series(["a", "b"] * 50, name="plan")
    >>> pd.Series(["a", "b"] * 20, name="plan").kl_drift.score(ref).status
    'ok'
    """

    def score(self, reference: pd.Series | ColumnProfile, **options: Any) -> ColumnDrift:
        """`kl_drift.score` with this Series as the current data."""
        return score(reference, self._obj, **options)
