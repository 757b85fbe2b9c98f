"""Strict validation of saved profiles (pydantic), imported only when a profile is loaded.

A profile file is untrusted input: besides its fields, its size, its nesting and the range
of its numbers are bounded, so that a damaged or hostile file is a `ProfileFormatError`
naming the file, never a MemoryError, RecursionError or OverflowError later on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._core.bins import CategoricalBins, NumericBins
from ._core.novelty import BloomFilter, PooledValues
from ._core.pairs import PairCounts
from .errors import ProfileFormatError
from .profile import FORMAT_NAME, READABLE_SCHEMA_VERSIONS, ColumnProfile, ReferenceProfile, _checksum

__all__ = ["MAX_PROFILE_BYTES", "MAX_SETTINGS_DEPTH", "read_profile", "validate_profile", "validate_column"]

# Real profiles take kilobytes to a few megabytes (10,000 columns of 50 categories is ~30 MB);
# a larger file is not a profile, and parsing it whole could exhaust memory.
MAX_PROFILE_BYTES = 256 * 2**20
# `settings` is the one free-form field; deeper nesting than this is not a profile's.
MAX_SETTINGS_DEPTH = 16
INT64_MAX = 2**63 - 1
# Counts are int64 in every engine; numbers (edges, categories) may also be uint64 values.
NonNegative = Annotated[int, Field(ge=0, le=INT64_MAX, strict=True)]
Number = (
    Annotated[int, Field(ge=-(2**63), le=2**64 - 1, strict=True)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
)
Category = Annotated[bool, Field(strict=True)] | Annotated[str, Field(strict=True)] | Number


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _NumericModel(_Strict):
    type: Literal["numeric"]
    edges: list[Number]
    datetime: bool
    tz: str | None
    strategy: Literal["quantile", "uniform", "fixed"]
    # Schema 2: the reference range (absent from schema-1 profiles).
    low: Number | None = None
    high: Number | None = None
    text: bool = False


class _CategoricalModel(_Strict):
    type: Literal["categorical"]
    value_type: Literal["string", "number", "bool"]
    categories: list[Category]
    other_values: list[Category]
    other_complete: bool


class _SketchModel(_Strict):
    size: Annotated[int, Field(ge=8, le=8 * MAX_PROFILE_BYTES, strict=True)]
    hashes: Annotated[int, Field(ge=1, le=64, strict=True)]
    values: NonNegative
    bits: str


class _PooledModel(_Strict):
    other_counts: list[NonNegative]
    # [r, number of values seen r times]: a list, not a tuple, so that to_dict()'s own output
    # validates (strict mode takes tuples only from JSON); r >= 1 is checked below.
    unlisted: list[Annotated[list[NonNegative], Field(min_length=2, max_length=2)]]
    sketch: _SketchModel | None


class _ColumnModel(_Strict):
    name: str
    kind: Literal["numeric", "datetime", "categorical", "boolean", "skipped", "type_mismatch"]
    dtype: str
    bins: Annotated[_NumericModel | _CategoricalModel, Field(discriminator="type")] | None
    counts: list[NonNegative]
    n_inf: NonNegative
    reason: str | None
    unseen: list[tuple[Category, NonNegative]]
    unseen_complete: bool
    # Schema 2 (absent from schema-1 profiles).
    pooled: _PooledModel | None = None
    identifier: str | None = None


class _PairModel(_Strict):
    columns: Annotated[list[str], Field(min_length=2, max_length=2)]
    groups: Annotated[list[list[Annotated[int, Field(ge=0, le=10_000, strict=True)]]], Field(min_length=2, max_length=2)]
    counts: list[list[NonNegative]]


class _ProfileModel(_Strict):
    format: str
    schema_version: int
    kl_drift_version: str
    created_at: str
    settings: dict[str, Any]
    n_rows: NonNegative
    columns: list[_ColumnModel]
    # Schema 3 (absent from profiles without pairs).
    pairs: list[_PairModel] | None = None
    checksum: str


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"field {where}: {first['msg']}{more}"


def _column(model: _ColumnModel, source: str) -> ColumnProfile:
    name = model.name
    if model.kind in ("skipped", "type_mismatch"):
        if model.bins is not None or model.counts or not model.reason:
            raise ProfileFormatError(
                source, f"column {name!r}: a {model.kind} column has no bins or counts and a reason"
            )
        return ColumnProfile(name, model.kind, model.dtype, None, (), 0, model.reason)
    if model.bins is None:
        raise ProfileFormatError(source, f"column {name!r}: bins are missing")
    if isinstance(model.bins, _NumericModel) and model.bins.datetime:
        # Datetime edges are int64 nanoseconds since the epoch (-2**63 is NaT).
        stamps = [*model.bins.edges, *(v for v in (model.bins.low, model.bins.high) if v is not None)]
        if not all(isinstance(e, int) and -INT64_MAX <= e <= INT64_MAX for e in stamps):
            raise ProfileFormatError(
                source, f"column {name!r}: datetime edges must be integer nanoseconds within ±(2**63 - 1)"
            )
    try:
        if isinstance(model.bins, _NumericModel):
            spec: NumericBins | CategoricalBins = NumericBins(
                tuple(model.bins.edges), model.bins.datetime, model.bins.tz, model.bins.strategy,
                low=model.bins.low, high=model.bins.high, text=model.bins.text,
            )  # fmt: skip
        else:
            spec = CategoricalBins(
                tuple(model.bins.categories),
                model.bins.value_type,
                tuple(model.bins.other_values),
                model.bins.other_complete,
            )
    except ValueError as exc:
        raise ProfileFormatError(source, f"column {name!r}: {exc}") from None
    if len(model.counts) != spec.n_bins:
        raise ProfileFormatError(
            source, f"column {name!r}: {len(model.counts)} counts for {spec.n_bins} bins"
        )
    unseen = tuple((value, count) for value, count in model.unseen)
    if unseen and not isinstance(spec, CategoricalBins):
        raise ProfileFormatError(source, f"column {name!r}: only categorical columns list unseen values")
    if isinstance(spec, CategoricalBins) and model.unseen_complete:
        listed = sum(count for _, count in unseen)
        if listed != model.counts[spec.unseen_index]:
            raise ProfileFormatError(
                source,
                f"column {name!r}: unseen values add up to {listed}, "
                f"but the (unseen) bucket holds {model.counts[spec.unseen_index]}",
            )
    return ColumnProfile(
        name, model.kind, model.dtype, spec, tuple(model.counts), model.n_inf, model.reason,
        unseen, model.unseen_complete, _pooled(model, spec, source), model.identifier,
    )


def _pooled(model: _ColumnModel, spec: NumericBins | CategoricalBins, source: str) -> PooledValues | None:
    """The pooled values of a categorical column, checked against its bins and counts."""
    pooled = model.pooled
    if pooled is None:
        return None
    name = model.name
    if not isinstance(spec, CategoricalBins):
        raise ProfileFormatError(source, f"column {name!r}: only categorical columns have pooled values")
    if len(pooled.other_counts) != len(spec.other_values):
        raise ProfileFormatError(
            source, f"column {name!r}: {len(pooled.other_counts)} pooled counts for {len(spec.other_values)} pooled values"
        )
    if any(r < 1 for r, _ in pooled.unlisted):
        raise ProfileFormatError(source, f"column {name!r}: an unlisted pooled value is seen at least once")
    held = sum(pooled.other_counts) + sum(r * f for r, f in pooled.unlisted)
    bucket = model.counts[spec.other_index] if spec.other_index is not None else 0
    if held != bucket:
        raise ProfileFormatError(
            source, f"column {name!r}: pooled values add up to {held}, but the (other) bucket holds {bucket}"
        )
    if (pooled.sketch is None) != (not pooled.unlisted):
        raise ProfileFormatError(source, f"column {name!r}: unlisted pooled values come with their sketch")
    try:
        sketch = BloomFilter.from_dict(pooled.sketch.model_dump()) if pooled.sketch is not None else None
    except ValueError as exc:
        raise ProfileFormatError(source, f"column {name!r}: {exc}") from None
    return PooledValues(tuple(pooled.other_counts), tuple((r, f) for r, f in pooled.unlisted), sketch)


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, counted no further than `limit` + 1."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    items = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(item, limit - 1) for item in items), default=0)


def read_profile(path: str | os.PathLike[str]) -> ReferenceProfile:
    """Read and validate a profile file; every failure is a `ProfileFormatError` naming it.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "deep.json")
    >>> _ = open(path, "w").write("[" * 100_000 + "]" * 100_000)
    >>> read_profile(path)
    Traceback (most recent call last):
    ...
    kl_drift.errors.ProfileFormatError: invalid kl_drift profile ...deep.json: is nested too deeply to be a profile
    """
    source = os.fspath(path)
    too_large = f"is larger than {MAX_PROFILE_BYTES // 2**20} MiB, the most a profile may take (is it a profile?)"
    try:
        with open(source, "rb") as handle:
            # A regular file is refused by its size before a byte is read; others (a pipe)
            # are read up to the limit.
            if os.fstat(handle.fileno()).st_size > MAX_PROFILE_BYTES:
                raise ProfileFormatError(source, too_large)
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileFormatError(source, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileFormatError(source, too_large)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileFormatError(source, "is not UTF-8 text (is it a profile JSON file?)") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if truncated else ""
        raise ProfileFormatError(
            source, f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}){hint}"
        ) from None
    except ValueError as exc:
        raise ProfileFormatError(source, str(exc)) from None
    except RecursionError:
        raise ProfileFormatError(source, "is nested too deeply to be a profile") from None
    return validate_profile(data, source)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"holds the non-standard JSON constant {token}")


def validate_column(data: Any, source: str) -> ColumnProfile:
    """Validate one column's dict (as written by ColumnProfile.to_dict)."""
    try:
        model = _ColumnModel.model_validate(data)
    except ValidationError as exc:
        raise ProfileFormatError(source, _describe(exc)) from None
    return _column(model, source)


def validate_profile(data: Any, source: str) -> ReferenceProfile:
    """Validate a whole profile dict; every failure names the field or column at fault."""
    if not isinstance(data, Mapping):
        raise ProfileFormatError(source, f"expected a JSON object at the top level, got {type(data).__name__}")
    if data.get("format") != FORMAT_NAME:
        raise ProfileFormatError(source, f"`format` is {data.get('format')!r}, expected {FORMAT_NAME!r}")
    version = data.get("schema_version")
    if version not in READABLE_SCHEMA_VERSIONS or isinstance(version, bool):
        newest = max(READABLE_SCHEMA_VERSIONS)
        if isinstance(version, int) and not isinstance(version, bool) and version > newest:
            reason = f"schema version {version} is newer than this kl_drift supports ({newest}); upgrade kl_drift"
        else:
            reason = f"unsupported schema version {version!r} (this kl_drift reads versions {', '.join(map(str, READABLE_SCHEMA_VERSIONS))})"
        raise ProfileFormatError(source, reason)
    try:
        model = _ProfileModel.model_validate(data)
    except ValidationError as exc:
        raise ProfileFormatError(source, _describe(exc)) from None
    except RecursionError:
        raise ProfileFormatError(source, "is nested too deeply to be a profile") from None
    if _depth(model.settings, MAX_SETTINGS_DEPTH) > MAX_SETTINGS_DEPTH:
        raise ProfileFormatError(source, f"field settings: nested deeper than {MAX_SETTINGS_DEPTH} levels")
    raw_columns = [dict(c) for c in data["columns"]]
    raw_pairs = [dict(p) for p in data.get("pairs") or []]
    if model.checksum != _checksum(raw_columns, model.n_rows, raw_pairs):
        raise ProfileFormatError(
            source, "checksum mismatch: the columns or counts were changed after the profile was written"
        )
    columns = tuple(_column(c, source) for c in model.columns)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ProfileFormatError(source, "a column name appears more than once")
    for column in columns:
        if column.bins is not None and column.n_rows != model.n_rows:
            raise ProfileFormatError(
                source, f"column {column.name!r}: counts sum to {column.n_rows}, but n_rows is {model.n_rows}"
            )
    index = {c.name: c for c in columns}
    pairs = tuple(_pair(p, index, model.n_rows, source) for p in model.pairs or [])
    return ReferenceProfile(
        columns,
        model.n_rows,
        created_at=model.created_at,
        kl_drift_version=model.kl_drift_version,
        settings=model.settings,
        pairs=pairs,
    )


def _pair(model: _PairModel, index: Mapping[str, ColumnProfile], n_rows: int, source: str) -> PairCounts:
    """A pair's counts, checked against its columns' bins and the profile's rows."""
    for name, groups in zip(model.columns, model.groups):
        column = index.get(name)
        if not groups:
            raise ProfileFormatError(source, f"pair {model.columns!r}: column {name!r} has no groups")
        if column is None or column.bins is None:
            raise ProfileFormatError(source, f"pair {model.columns!r}: column {name!r} is not a profiled column")
        if len(groups) != column.bins.n_bins or sorted(set(groups)) != list(range(max(groups) + 1)):
            raise ProfileFormatError(
                source, f"pair {model.columns!r}: column {name!r} needs one group per bin ({column.bins.n_bins}), numbered from 0"
            )
    try:
        pair = PairCounts((model.columns[0], model.columns[1]), (tuple(model.groups[0]), tuple(model.groups[1])), tuple(tuple(r) for r in model.counts))
    except ValueError as exc:
        raise ProfileFormatError(source, str(exc)) from None
    if pair.n_rows != n_rows:
        raise ProfileFormatError(source, f"pair {model.columns!r}: counts sum to {pair.n_rows}, but n_rows is {n_rows}")
    return pair
