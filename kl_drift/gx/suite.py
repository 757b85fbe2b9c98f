"""Building a suite from a profile, and loading one without losing expectations.

Great Expectations rebuilds each saved expectation from its registered class. When the
class is not registered (its module was not imported), GE logs the problem and **drops the
expectation silently**: the suite loads, runs and passes, minus the checks it was meant to
make. :func:`load_suite` and :func:`check_suite` turn that into an error.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from great_expectations.core.expectation_suite import ExpectationSuite

from ..errors import ColumnError, KlDriftError
from ..profile import ReferenceProfile
from .expectations import ExpectColumnKlDriftToBeLessThan, ExpectTableKlDriftToBeLessThan

__all__ = ["DroppedExpectationsError", "suite_from_profile", "load_suite", "check_suite", "EXPECTATION_TYPES"]

EXPECTATION_TYPES = (
    ExpectColumnKlDriftToBeLessThan.expectation_type,
    ExpectTableKlDriftToBeLessThan.expectation_type,
)
# Key of the suite's meta entry where suite_from_profile records what it built.
META_KEY = "kl_drift"
_TABLE_ONLY_OPTIONS = ("drift_share", "correction", "warn_thresholds")
_IMPORT_HINT = (
    "Great Expectations drops expectations whose class is not registered; run `import kl_drift.gx` "
    "(and import any other expectation plugin the suite uses) before loading the suite"
)


class DroppedExpectationsError(KlDriftError):
    """Expectations were lost while a suite was loaded (their class was not registered).

    Attributes
    ----------
    suite : str
        The suite's name.
    dropped : dict
        ``{expectation type: number dropped}``.
    """

    def __init__(self, suite: str, dropped: Mapping[str, int]) -> None:
        self.suite = suite
        self.dropped = dict(dropped)
        listed = ", ".join(f"{kind} (x{n})" for kind, n in self.dropped.items())
        super().__init__(f"suite {suite!r} lost {sum(self.dropped.values())} expectation(s) on load: {listed}. {_IMPORT_HINT}")


def _checked_columns(profile: ReferenceProfile, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return [c.name for c in profile.columns if c.bins is not None]
    for name in columns:
        if name not in profile:
            raise ColumnError(name, f"is in `columns` but not in the profile; profiled columns: {list(profile.names)}")
        if profile[name].bins is None:
            raise ColumnError(name, f"was skipped when profiled ({profile[name].reason}); it cannot be checked")
    return list(dict.fromkeys(columns))


def suite_from_profile(
    profile: ReferenceProfile,
    *,
    name: str,
    columns: Sequence[str] | None = None,
    threshold: float | Literal["auto"] | None = None,
    warn_threshold: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    level: Literal["column", "table"] = "column",
    **options: Any,
) -> ExpectationSuite:
    """An expectation suite checking the drift of data from a reference profile.

    Parameters
    ----------
    profile : ReferenceProfile
        The reference, from :func:`kl_drift.profile` or :meth:`ReferenceProfile.load`.
    name : str
        The suite's name.
    columns : sequence of str, optional
        Columns to check (default: every profiled column that was not skipped).
    threshold : float or "auto", optional
        Drift level (default as in :func:`kl_drift.compare`).
    warn_threshold : float, optional
        Warn level.
    thresholds : mapping, optional
        Per-column drift levels ``{column: level}``.
    level : {"column", "table"}, default "column"
        "column": one :class:`ExpectColumnKlDriftToBeLessThan` per column, so Data Docs show
        each column's score and top bins; each column is tested alone (no multiple-testing
        correction across columns). "table": one :class:`ExpectTableKlDriftToBeLessThan`
        for all columns, counted in one pass, with the dataset rule (``drift_share``) and
        p-values adjusted across columns (``correction``).
    **options
        Any other option of the expectations: ``smoothing``, ``direction``, ``base``,
        ``alpha``, ``min_effect``, ``pvalue_method``, ``n_permutations``, ``random_state``;
        with ``level="table"`` also ``drift_share``, ``correction`` and ``warn_thresholds``.

    Returns
    -------
    great_expectations.ExpectationSuite
        Not yet added to a context (``context.suites.add(suite)``). Its ``meta["kl_drift"]``
        records the number of kl_drift expectations, which :func:`check_suite` verifies.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> import kl_drift.gx
    >>> prof = kd.profile(pd.DataFrame({"age": [23.0, 35.0, 41.0, 52.0] * 25, "plan": ["a", "b"] * 50}))
    >>> suite = kd.gx.suite_from_profile(prof, name="orders_drift", threshold=0.1)
    >>> [e.column for e in suite.expectations]
    ['age', 'plan']
    >>> suite.meta["kl_drift"]["expectations"]
    2
    """
    if not isinstance(profile, ReferenceProfile):
        raise TypeError(f"`profile` must be a ReferenceProfile, got {type(profile).__name__}")
    if level not in ("column", "table"):
        raise ValueError(f"`level` must be 'column' or 'table', got {level!r}")
    table_only = sorted(set(options) & set(_TABLE_ONLY_OPTIONS))
    if table_only and level != "table":
        raise ValueError(f"{', '.join(f'`{o}`' for o in table_only)} apply to the whole table: pass level='table'")
    names = _checked_columns(profile, columns)
    for column in thresholds or {}:
        if column not in names:
            raise ColumnError(column, f"is named in `thresholds` but is not a checked column; checked columns: {names}")
    expectations: list[ExpectColumnKlDriftToBeLessThan | ExpectTableKlDriftToBeLessThan]
    if level == "column":
        expectations = [
            ExpectColumnKlDriftToBeLessThan(
                column=column,
                reference=profile[column].to_dict(),
                threshold=(thresholds or {}).get(column, threshold),
                warn_threshold=warn_threshold,
                **options,
            )
            for column in names
        ]
    else:
        expectations = [
            ExpectTableKlDriftToBeLessThan(
                reference=profile.to_dict(),
                columns=None if columns is None else names,
                threshold=threshold,
                warn_threshold=warn_threshold,
                thresholds=dict(thresholds) if thresholds else None,
                **options,
            )
        ]
    skipped = [c.name for c in profile.columns if c.bins is None]
    meta = {META_KEY: {"expectations": len(expectations), "skipped_columns": skipped}}
    return ExpectationSuite(name=name, expectations=expectations, meta=meta)


def _kl_drift_count(suite: ExpectationSuite) -> int:
    return sum(isinstance(e, (ExpectColumnKlDriftToBeLessThan, ExpectTableKlDriftToBeLessThan)) for e in suite.expectations)


def check_suite(suite: ExpectationSuite, *, expected: int | None = None) -> None:
    """Raise if a suite holds fewer kl_drift expectations than it should.

    Use it on a suite GE loaded for you (``context.suites.get(name)``), which may have
    dropped expectations silently.

    Parameters
    ----------
    suite : great_expectations.ExpectationSuite
        The loaded suite.
    expected : int, optional
        How many kl_drift expectations it must hold. Default: the number
        :func:`suite_from_profile` recorded in ``suite.meta["kl_drift"]``.

    Raises
    ------
    DroppedExpectationsError
        If there are fewer (GE dropped them: ``kl_drift.gx`` was not imported when it loaded).
    ValueError
        If there are more, or `expected` is not given and the suite has no kl_drift record.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> import kl_drift.gx
    >>> prof = kd.profile(pd.DataFrame({"plan": ["a", "b"] * 50}))
    >>> kd.gx.check_suite(kd.gx.suite_from_profile(prof, name="s"))
    """
    if expected is None:
        record = (suite.meta or {}).get(META_KEY)
        if not isinstance(record, Mapping) or not isinstance(record.get("expectations"), int):
            raise ValueError(
                f"suite {suite.name!r} was not built by suite_from_profile: pass expected=<number of kl_drift expectations>"
            )
        expected = int(record["expectations"])
    found = _kl_drift_count(suite)
    if found < expected:
        raise DroppedExpectationsError(suite.name, {"kl_drift expectations": expected - found})
    if found > expected:
        raise ValueError(f"suite {suite.name!r} holds {found} kl_drift expectations, {expected} expected")


def load_suite(source: str | os.PathLike[str] | Mapping[str, Any]) -> ExpectationSuite:
    """Load a suite saved as JSON and check that no expectation was dropped on the way.

    Parameters
    ----------
    source : path or mapping
        A JSON file holding ``suite.to_json_dict()`` (as GE's file stores write it), or that
        dict.

    Returns
    -------
    great_expectations.ExpectationSuite
        Not attached to a context (``context.suites.add(suite)`` to use it there).

    Raises
    ------
    DroppedExpectationsError
        Naming every expectation type GE dropped because its class was not registered.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> import kl_drift.gx
    >>> prof = kd.profile(pd.DataFrame({"plan": ["a", "b"] * 50}))
    >>> saved = kd.gx.suite_from_profile(prof, name="s").to_json_dict()
    >>> kd.gx.load_suite(saved).expectations[0].expectation_type
    'expect_column_kl_drift_to_be_less_than'
    >>> saved["expectations"][0]["type"] = "expect_column_from_a_plugin_not_imported"
    >>> kd.gx.load_suite(saved)
    Traceback (most recent call last):
    ...
    kl_drift.gx.suite.DroppedExpectationsError: suite 's' lost 1 expectation(s) on load: ...
    """
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    wanted = Counter(str(e.get("type")) for e in data.get("expectations") or [])
    suite = ExpectationSuite(**data)
    dropped = wanted - Counter(e.expectation_type for e in suite.expectations)
    if dropped:
        raise DroppedExpectationsError(suite.name, dict(dropped))
    return suite
