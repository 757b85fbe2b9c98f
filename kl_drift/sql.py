"""SQL databases: compare a table with a reference profile without fetching its rows.

The database counts the table into the profile's bins with one aggregate query
(``SELECT COUNT(*), SUM(CASE WHEN ... THEN 1 ELSE 0 END), ...``); only a categorical column
with values the reference never had costs one more ``GROUP BY`` query that lists them. The
scores, p-values and explanations are then computed by `kl_drift.compare` from the
counts, so they equal those of the same data in pandas.

Works through SQLAlchemy with any database it reaches; tested against real PostgreSQL and
SQLite. ``import kl_drift`` does not import this module (nor sqlalchemy).

Examples
--------
>>> import pandas as pd, sqlalchemy as sa, kl_drift as kd
>>> from kl_drift import sql as kds
>>> engine = sa.create_engine("sqlite://")
>>> prof = kd.profile(pd.DataFrame({"plan": ["basic", "pro", "basic", "team"] * 25}))
>>> pd.DataFrame({"plan": ["basic", "pro", "free", None] * 10}).to_sql("today", engine, index=False)
40
>>> kds.compare(prof, "today", engine)["plan"].status
'drift'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._engines import sql as sql_engine
from .compare import compare as _compare
from .counts import CountTable
from .errors import ColumnError, EmptyDataError
from .profile import ReferenceProfile
from .report import DriftReport

__all__ = ["count", "compare"]


def _engine_of(bind: Any) -> tuple[Any, bool]:
    """An Engine or Connection for `bind`, and whether it was made here (to dispose of)."""
    if isinstance(bind, str):
        import sqlalchemy as sa

        return sa.create_engine(bind), True
    return bind, False


def count(
    reference: ReferenceProfile,
    table: Any,
    bind: Any,
    *,
    columns: Sequence[str] | None = None,
    schema: str | None = None,
    column_types: Sequence[Mapping[str, Any]] | None = None,
    pairs: str | Sequence[tuple[str, str]] | None = None,
) -> CountTable:
    """Count a database table into a profile's bins, without scoring.

    Parameters
    ----------
    reference : ReferenceProfile
        The bins to count into.
    table : str or SQLAlchemy selectable
        A table name, or a Table, subquery or Select (e.g. one day of a larger table).
    bind : sqlalchemy.engine.Engine, sqlalchemy.engine.Connection or str
        The database, or its SQLAlchemy URL.
    columns : sequence of str, optional
        Profile columns to count (default: all).
    schema : str, optional
        Schema of a table given by name (default: the connection's).
    column_types : sequence of mappings, optional
        ``[{"name": ..., "type": ...}]`` for every column of `table` (SQLAlchemy types or
        type names); default: read from the database.
    pairs : "auto" or sequence of (str, str), optional
        The profile's column pairs to count on their 2-D bins, chosen as
        `kl_drift.compare` chooses them: by default (or "auto") every pair the profile
        holds, only those of two of `columns` when `columns` is given; pairs named are
        counted as named. One ``GROUP BY`` of two ``CASE`` expressions per pair.

    Returns
    -------
    CountTable
        Counts per column, ±inf values, the values the reference never had; or the
        column's problem ("missing_column", "type_mismatch") with a reason naming both
        types. Its ``pairs`` hold the pair counts (a pair with such a column is left out,
        and compared as skipped).

    Examples
    --------
    >>> import pandas as pd, sqlalchemy as sa, kl_drift as kd
    >>> from kl_drift import sql as kds
    >>> engine = sa.create_engine("sqlite://")
    >>> prof = kd.profile(pd.DataFrame({"plan": ["basic", "pro", "basic", "team"] * 25}))
    >>> pd.DataFrame({"plan": ["basic", "free", "free", None]}).to_sql("today", engine, index=False)
    4
    >>> counted = kds.count(prof, "today", engine)
    >>> prof["plan"].labels, counted["plan"].counts
    (('basic', 'pro', 'team', '(unseen)', '(missing)'), (1, 0, 0, 2, 1))
    >>> counted["plan"].unseen
    (('free', 2),)
    """
    if not isinstance(reference, ReferenceProfile):
        raise TypeError(f"`reference` must be a ReferenceProfile, got {type(reference).__name__}")
    if columns is not None:
        unknown = [c for c in columns if c not in reference]
        if unknown:
            raise ColumnError(unknown[0], "is in `columns` but not in the reference profile")
    chosen = ()
    if pairs is not None or reference.pairs:
        from .pairs import chosen_pairs

        chosen = chosen_pairs(reference, pairs, columns)
    engine, made_here = _engine_of(bind)
    try:
        counted = sql_engine.count(reference, table, engine, columns=columns, column_types=column_types, schema=schema)
        if not chosen:
            return counted
        from dataclasses import replace

        from ._engines import sql_pairs
        from .pairs import countable_pairs

        countable = countable_pairs(counted, chosen)
        found = sql_pairs.count_pairs(reference, countable, table, engine, column_types=column_types, schema=schema)
        return replace(counted, pairs=found)
    finally:
        if made_here:
            engine.dispose()


def compare(
    reference: ReferenceProfile,
    table: Any,
    bind: Any,
    *,
    columns: Sequence[str] | None = None,
    schema: str | None = None,
    **options: Any,
) -> DriftReport:
    """`kl_drift.compare` for a database table: count in the database, score here.

    Parameters
    ----------
    reference : ReferenceProfile
        A profile (from `kl_drift.profile` or a saved file).
    table : str or SQLAlchemy selectable
        A table name, or a Table, subquery or Select.
    bind : sqlalchemy.engine.Engine, sqlalchemy.engine.Connection or str
        The database, or its SQLAlchemy URL.
    columns : sequence of str, optional
        Columns to compare (default: every profiled column).
    schema : str, optional
        Schema of a table given by name.
    **options
        Any option of `kl_drift.compare` (``threshold``, ``direction``, ...). ``pairs``
        as there: the profile's column pairs are counted in the database (`count`) and
        compared, every pair it holds by default.

    Returns
    -------
    DriftReport
        The same report as `kl_drift.compare` gives for the same data in pandas.

    Raises
    ------
    EmptyDataError
        If the table has no rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd, sqlalchemy as sa, kl_drift as kd
    >>> from kl_drift import sql as kds
    >>> rng = np.random.default_rng(0)
    >>> engine = sa.create_engine("sqlite://")
    >>> prof = kd.profile(pd.DataFrame({"x": rng.normal(size=5000)}))
    >>> today = pd.DataFrame({"x": rng.normal(0.5, 1.0, size=5000)})
    >>> today.to_sql("today", engine, index=False)
    5000
    >>> report = kds.compare(prof, "today", engine)
    >>> report["x"].status, report["x"].statistic == kd.compare(prof, today)["x"].statistic
    ('drift', True)
    """
    table_counts = count(reference, table, bind, columns=columns, schema=schema, pairs=options.get("pairs"))
    if table_counts.n_rows == 0:
        raise EmptyDataError(f"the current data ({_describe(table)}) has no rows")
    return _compare(reference, table_counts, columns=columns, **options)


def _describe(table: Any) -> str:
    return f"table {table!r}" if isinstance(table, str) else type(table).__name__
