"""Strict validation of saved profiles (pydantic), imported only when a profile is loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._core.bins import CategoricalBins, NumericBins
from .errors import ProfileFormatError
from .profile import FORMAT_NAME, SCHEMA_VERSION, ColumnProfile, ReferenceProfile, _checksum

NonNegative = Annotated[int, Field(ge=0, strict=True)]
Number = Annotated[int, Field(strict=True)] | Annotated[float, Field(strict=True, allow_inf_nan=False)]
Category = Annotated[bool, Field(strict=True)] | Annotated[str, Field(strict=True)] | Number


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _NumericModel(_Strict):
    type: Literal["numeric"]
    edges: list[Number]
    datetime: bool
    tz: str | None
    strategy: Literal["quantile", "uniform", "fixed"]


class _CategoricalModel(_Strict):
    type: Literal["categorical"]
    value_type: Literal["string", "number", "bool"]
    categories: list[Category]
    other_values: list[Category]
    other_complete: bool


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


class _ProfileModel(_Strict):
    format: str
    schema_version: int
    kl_drift_version: str
    created_at: str
    settings: dict[str, Any]
    n_rows: NonNegative
    columns: list[_ColumnModel]
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
    try:
        if isinstance(model.bins, _NumericModel):
            spec: NumericBins | CategoricalBins = NumericBins(
                tuple(model.bins.edges), model.bins.datetime, model.bins.tz, model.bins.strategy
            )
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
        unseen, model.unseen_complete,
    )


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
    if version != SCHEMA_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            reason = f"schema version {version} is newer than this kl_drift supports ({SCHEMA_VERSION}); upgrade kl_drift"
        else:
            reason = f"unsupported schema version {version!r} (this kl_drift reads version {SCHEMA_VERSION})"
        raise ProfileFormatError(source, reason)
    try:
        model = _ProfileModel.model_validate(data)
    except ValidationError as exc:
        raise ProfileFormatError(source, _describe(exc)) from None
    raw_columns = [dict(c) for c in data["columns"]]
    if model.checksum != _checksum(raw_columns, model.n_rows):
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
    return ReferenceProfile(
        columns,
        model.n_rows,
        created_at=model.created_at,
        kl_drift_version=model.kl_drift_version,
        settings=model.settings,
    )
