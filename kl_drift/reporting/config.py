"""The ``kl-drift --config drift.toml`` file: every option of a scheduled check, in one reviewed file.

Layout (each key is a long option of the command, ``-`` written ``_``)::

    [profile]                 # kl-drift profile
    output = "orders-profile.json"
    bins = 10
    pairs = "auto"            # or [["amount", "hour"]]: pair counts for joint drift

    [compare]                 # kl-drift compare
    reference = "orders-profile.json"
    threshold = 0.1
    html = "reports/orders.html"

    [timeline]                # kl-drift timeline
    time_column = "order_time"
    freq = "W"
    rolling = 4               # or reference_periods = 4, or reference = "orders-profile.json"

    [history]                 # kl-drift history
    since = "90d"

    [columns.amount]          # one column, in every command
    threshold = 0.2           # compare: its drift level (warn_threshold: its warn level)
    bins = 20                 # profile: its bins (also strategy, edges, categorical = true)

    [columns.order_id]
    exclude = true            # left out of profiles and comparisons

Options given on the command line win over the file. Relative paths in the file are taken
from the file's folder, so a job may run from anywhere. Unknown sections and keys are errors
that name the key and the file, so a typo never passes as a default.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .._core.divergence import DIRECTIONS
from .._core.stats import CORRECTIONS
from .._options import check_alpha, check_choice, check_level, check_threshold
from ..errors import KlDriftError
from ..profile import _check_bins

__all__ = ["ConfigError", "ColumnOptions", "DriftConfig", "load_config", "parse_config", "SECTIONS", "COLUMN_KEYS"]

STRATEGIES = ("quantile", "uniform")
FAIL_ON = ("drift", "warn", "never")
FORMATS = ("table", "json")

Check = Callable[[str, Any], Any]


class ConfigError(KlDriftError, ValueError):
    """A configuration file that cannot be used; the message names the file and the key.

    Attributes
    ----------
    path : str
        The configuration file.
    reason : str
        What is wrong, naming the section and key.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` must be a non-empty string, got {value!r}")
    return value


def _names(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"`{name}` must be a list of column names, got {value!r}")
    return list(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be true or false, got {value!r}")
    return value


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}")
    return value


def _choice(allowed: tuple[str, ...]) -> Check:
    return lambda name, value: check_choice(name, value, allowed)


def _since(name: str, value: Any) -> str:
    # Imported here: the history (sqlite3) is not loaded by a command that does not use it.
    from .history import parse_since

    parse_since(_text(name, value))
    return str(value)


def _edges(name: str, value: Any) -> list[Any]:
    def edge(item: Any) -> Any:
        if isinstance(item, datetime):
            return item
        if isinstance(item, date):
            return datetime(item.year, item.month, item.day)
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return item
        raise ValueError(f"`{name}` must be a list of numbers or dates, got {value!r}")

    if not isinstance(value, list) or not value:
        raise ValueError(f"`{name}` must be a non-empty list of numbers or dates, got {value!r}")
    edges = [edge(item) for item in value]
    try:
        increasing = all(a < b for a, b in zip(edges, edges[1:]))
    except TypeError:  # numbers mixed with dates, or naive with aware times
        raise ValueError(f"`{name}` must be all numbers or all dates of one kind, got {value!r}") from None
    if not increasing:
        raise ValueError(f"`{name}` must be strictly increasing, got {value!r}")
    return edges


def _pairs(name: str, value: Any) -> str | list[tuple[str, str]]:
    if value == "auto":
        return "auto"
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(c, str) and c for c in p) for p in value)
    ):
        raise ValueError(f'`{name}` must be "auto" or a list of column pairs such as [["temp", "dewp"]], got {value!r}')
    return [(a, b) for a, b in value]


def _freq(name: str, value: Any) -> str:
    # Imported here: timelines are loaded by the command that uses them.
    from ..timeline import _period_offset

    _period_offset(_text(name, value))
    return str(value)


_SELECTION: dict[str, Check] = {"columns": _names, "exclude": _names}
_BINNING: dict[str, Check] = {
    "bins": _check_bins, "strategy": _choice(STRATEGIES), "max_categories": _positive, "pairs": _pairs, "max_pairs": _positive,
}  # fmt: skip
_DECISION: dict[str, Check] = {
    "threshold": lambda name, value: check_threshold(value),
    "warn_threshold": check_level,
    "direction": _choice(DIRECTIONS),
    "alpha": lambda name, value: check_alpha(value),
    "min_effect": check_level,
    "correction": _choice(CORRECTIONS),
    "fail_on": _choice(FAIL_ON),
    "format": _choice(FORMATS),
}
SECTIONS: dict[str, dict[str, Check]] = {
    "profile": {"output": _text, **_SELECTION, **_BINNING, "quiet": _flag},
    "compare": {
        "reference": _text,
        **_DECISION,
        "json": _text,
        "markdown": _text,
        "html": _text,
        "history": _text,
        **_SELECTION,
        **_BINNING,
        "quiet": _flag,
    },
    "timeline": {
        "time_column": _text,
        "freq": _freq,
        "rows": _positive,
        "min_rows": _positive,
        "reference": _text,
        "reference_periods": _positive,
        "rolling": _positive,
        **_DECISION,
        "json": _text,
        "markdown": _text,
        "html": _text,
        **_SELECTION,
        **{key: _BINNING[key] for key in ("bins", "strategy", "max_categories")},
        "quiet": _flag,
    },
    "history": {"column": _names, "since": _since, "html": _text, "format": _choice(FORMATS), "quiet": _flag},
}
# Options of a section that exclude one another (two ways to cut periods, three references):
# a file may set one of each group, and one given on the command line replaces the file's.
EXCLUSIVE: dict[str, tuple[tuple[tuple[str, ...], ...], ...]] = {
    "timeline": (
        (("time_column", "freq"), ("rows",)),
        (("reference",), ("reference_periods",), ("rolling",)),
    ),
}
# Keys naming a file, taken relative to the configuration file's folder ("-" is stdout).
PATH_KEYS = {"output", "reference", "json", "markdown", "html", "history"}
COLUMN_KEYS: dict[str, Check] = {
    "threshold": check_level,
    "warn_threshold": check_level,
    "bins": _check_bins,
    "strategy": _choice(STRATEGIES),
    "edges": _edges,
    "categorical": _flag,
    "exclude": _flag,
}


@dataclass(frozen=True)
class ColumnOptions:
    """The options of one ``[columns.NAME]`` table; None where the file says nothing."""

    threshold: float | None = None
    warn_threshold: float | None = None
    bins: int | None = None
    strategy: str | None = None
    edges: list[Any] | None = None
    categorical: bool = False
    exclude: bool = False


@dataclass(frozen=True)
class DriftConfig:
    """A validated configuration file (or none: every getter then returns nothing).

    Attributes
    ----------
    path : str or None
        The file it was read from.
    sections : mapping
        ``{"profile" | "compare" | "timeline" | "history": {option: value}}``, validated.
    columns : mapping
        ``{column: ColumnOptions}`` from the ``[columns.NAME]`` tables, in file order.
    """

    path: str | None = None
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    columns: Mapping[str, ColumnOptions] = field(default_factory=dict)

    def options(self, command: str, *, given: Collection[str] = ()) -> Mapping[str, Any]:
        """The options of one command's section; with `given` (the options the command line
        set), without those of the file that one of them excludes (``EXCLUSIVE``): a
        ``--rolling 7`` replaces the file's ``reference_periods``, ``--rows`` its
        ``time_column`` and ``freq``."""
        options = self.sections.get(command, {})
        dropped: set[str] = set()
        for group in EXCLUSIVE.get(command, ()):
            for choice in group:
                if any(key in given for key in choice):
                    dropped.update(key for other in group if other is not choice for key in other)
        return {key: value for key, value in options.items() if key not in dropped} if dropped else options

    def per_column(self, option: str) -> dict[str, Any]:
        """``{column: value}`` of one per-column option, for the columns that set it."""
        return {name: getattr(opts, option) for name, opts in self.columns.items() if getattr(opts, option) is not None}

    @property
    def excluded(self) -> list[str]:
        """Columns marked ``exclude = true``."""
        return [name for name, opts in self.columns.items() if opts.exclude]

    @property
    def categorical(self) -> list[str]:
        """Columns marked ``categorical = true``."""
        return [name for name, opts in self.columns.items() if opts.categorical]


def _checked(path: str, where: str, key: str, value: Any, check: Check) -> Any:
    try:
        return check(key, value)
    except ValueError as exc:
        raise ConfigError(path, f"{where} {exc}") from None


def _table(path: str, where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(path, f"{where} must be a table of options, got {value!r}")
    return value


def parse_config(text: str, path: str = "<string>", *, base: str | None = None) -> DriftConfig:
    """Validate configuration `text` (TOML); errors name `path`, the section and the key.

    Relative file names are joined to `base` (the file's folder) when it is given.

    Examples
    --------
    >>> config = parse_config('''
    ... [compare]
    ... threshold = 0.2
    ... [columns.amount]
    ... threshold = 0.5
    ... [columns.order_id]
    ... exclude = true
    ... ''', "drift.toml")
    >>> dict(config.options("compare")), config.per_column("threshold"), config.excluded
    ({'threshold': 0.2}, {'amount': 0.5}, ['order_id'])
    >>> parse_config("[compare]\\ntreshold = 0.2", "drift.toml")
    Traceback (most recent call last):
    ...
    kl_drift.reporting.config.ConfigError: drift.toml: unknown key 'treshold' in [compare]; known keys: ...
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the back-port has the same API
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"is not valid TOML: {exc}") from None
    sections: dict[str, dict[str, Any]] = {}
    columns: dict[str, ColumnOptions] = {}
    for name, value in data.items():
        if name in SECTIONS:
            known = SECTIONS[name]
            options = {}
            for key, item in _table(path, f"[{name}]", value).items():
                if key not in known:
                    raise ConfigError(path, f"unknown key {key!r} in [{name}]; known keys: {', '.join(known)}")
                options[key] = _checked(path, f"[{name}]", key, item, known[key])
                if base and key in PATH_KEYS and item != "-":
                    options[key] = os.path.join(base, item)
            for group in EXCLUSIVE.get(name, ()):
                chosen = [choice[0] for choice in group if any(key in options for key in choice)]
                if len(chosen) > 1:
                    raise ConfigError(path, f"[{name}] sets both {chosen[0]} and {chosen[1]}, which exclude each other; keep one")
            sections[name] = options
        elif name == "columns":
            for column, table in _table(path, "[columns]", value).items():
                where = f"[columns.{column}]"
                options = {}
                for key, item in _table(path, where, table).items():
                    if key not in COLUMN_KEYS:
                        raise ConfigError(path, f"unknown key {key!r} in {where}; known keys: {', '.join(COLUMN_KEYS)}")
                    options[key] = _checked(path, where, key, item, COLUMN_KEYS[key])
                columns[column] = ColumnOptions(**options)
        else:
            raise ConfigError(
                path, f"unknown key {name!r} at the top level; known: [profile], [compare], [timeline], [history], [columns.NAME]"
            )
    return DriftConfig(path=path, sections=sections, columns=columns)


def load_config(path: str | os.PathLike[str]) -> DriftConfig:
    """Read and validate a configuration file; every error is a `ConfigError` naming it."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(source, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(source, "is not UTF-8 text (is it a TOML file?)") from None
    return parse_config(text, source, base=os.path.dirname(source))
