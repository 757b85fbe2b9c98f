"""The kl_drift expectations: a column's, or every profiled column's, drift from a reference.

Both depend on one metric, ``kl_drift.bin_counts`` (:mod:`kl_drift.gx.metrics`), which
counts the batch into the reference's bins on pandas, SQL or Spark; the score, p-value and
decision come from :func:`kl_drift.compare`. Parameters are plain JSON (the reference is a
profile's ``to_dict()``), so a suite saved to JSON runs the same after a reload, provided
``kl_drift.gx`` is imported first (see :func:`kl_drift.gx.load_suite`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar, Dict, List, Literal, Optional, Tuple, Union

from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import BatchExpectation, ColumnAggregateExpectation
from great_expectations.expectations.model_field_types import ConditionParser
from great_expectations.expectations.row_conditions import RowConditionType
from great_expectations.render import LegacyDiagnosticRendererType, LegacyRendererType
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType
from great_expectations.validator.metric_configuration import MetricConfiguration

from .._options import CompareOptions
from ..profile import ColumnProfile, ReferenceProfile
from ._evaluate import column_details, evaluate, evaluate_pairs
from .metrics import BIN_COUNTS, PAIR_COUNTS, KlDriftBinCounts, count_targets, pair_targets
from .rendering import (
    column_sentence,
    explanation_blocks,
    observed_text,
    string_block,
    table_observed_text,
    table_sentence,
    top_bins_table,
)

__all__ = ["ExpectColumnKlDriftToBeLessThan", "ExpectTableKlDriftToBeLessThan"]

Direction = Literal["current||reference", "reference||current", "symmetric", "js"]
DEFAULT_DIRECTION = "current||reference"
# Columns named in a table expectation's sentence before "…".
_NAMED_COLUMNS = 12

THRESHOLD_DESCRIPTION = (
    "Drift level: a column drifts when its divergence is at or above it. Default by direction: "
    "0.1 nats for KL, 0.25 for 'symmetric' (PSI), 0.025 for 'js'. 'auto': a column drifts when "
    "its change is both significant (adjusted p-value below `alpha`) and at least `min_effect`."
)
WARN_THRESHOLD_DESCRIPTION = "Warn level, reported as status 'warn' in the details; default half the drift level."
SMOOTHING_DESCRIPTION = (
    "Lidstone pseudo-count added to every bin on both sides (0.5, Krichevsky-Trofimov, by "
    "default). Must be positive, so the score is always finite."
)
DIRECTION_DESCRIPTION = (
    "'current||reference' (default, D(current || reference)), 'reference||current', "
    "'symmetric' (Jeffreys, i.e. PSI) or 'js' (Jensen-Shannon)."
)
BASE_DESCRIPTION = "Logarithm base: e (nats, default) or 2 (bits)."
ALPHA_DESCRIPTION = "Significance level for threshold='auto'."
MIN_EFFECT_DESCRIPTION = "Smallest score that matters for threshold='auto' (default 0.01 nats for KL)."
PVALUE_METHOD_DESCRIPTION = "'auto' (default), 'asymptotic' (G-test) or 'permutation' (exact on the counts)."
N_PERMUTATIONS_DESCRIPTION = "Permutations for the permutation test (default: enough for the correction)."
RANDOM_STATE_DESCRIPTION = "Seed of the permutation test, so results are reproducible."
PAIRS_DESCRIPTION = (
    "Also check column pairs for joint drift (a change in how two columns relate): 'auto' checks "
    "every pair the reference profile holds (kd.profile(ref, pairs=...)), or a list of [column, column] "
    "pairs it holds. Default: no pairs."
)


def _smoothing(cls: Any, value: float) -> float:
    # Stricter than kl_drift.compare: without smoothing the score can be infinite, which a
    # validation result cannot hold.
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"`smoothing` must be a positive finite number, got {value!r} (without smoothing the score can be "
            "infinite, which a validation result cannot hold)"
        )
    return value


def _compare_options(cls: Any, values: Dict[str, Any]) -> Dict[str, Any]:
    """Validate the options exactly as kl_drift.compare does (one wording of every error)."""
    keys = [k for k in _OPTION_FIELDS if k in values]
    CompareOptions.resolve(**{k: values[k] for k in keys if values[k] is not None or k in _NULLABLE})
    return values


# Options validated by CompareOptions, and those whose None means "the default".
_OPTION_FIELDS = (
    "threshold",
    "warn_threshold",
    "thresholds",
    "warn_thresholds",
    "smoothing",
    "direction",
    "base",
    "drift_share",
    "alpha",
    "min_effect",
    "correction",
    "pvalue_method",
    "n_permutations",
    "random_state",
)
_NULLABLE = frozenset({"threshold", "warn_threshold", "min_effect", "n_permutations", "random_state", "drift_share"})


def _column_reference(cls: Any, value: Dict[str, Any]) -> Dict[str, Any]:
    column = ColumnProfile.from_dict(value)
    if column.bins is None:
        raise ValueError(f"column {column.name!r} was skipped when profiled ({column.reason}); it cannot be checked")
    return value


def _table_reference(cls: Any, value: Dict[str, Any]) -> Dict[str, Any]:
    ReferenceProfile.from_dict(value)
    return value


def _details(result: Any) -> Optional[Dict[str, Any]]:
    if result is None or not getattr(result, "result", None):
        return None
    details = result.result.get("details")
    return details if isinstance(details, dict) else None


def _configuration(configuration: Any, result: Any) -> Any:
    if configuration is not None:
        return configuration
    return getattr(result, "expectation_config", None)


def _domain_kwargs(expectation: BatchExpectation) -> Dict[str, Any]:
    """The table domain of the counting metric: the batch and any row condition.

    Taken from the configuration, as GE's ``get_metric_kwargs`` does, but without the
    rebuild of the whole expectation (and its reference) that it costs.
    """
    kwargs = expectation.configuration.kwargs
    return {key: kwargs.get(key) for key in KlDriftBinCounts.domain_keys}


def _sentence_options(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The options a sentence needs, with the core's defaults, from configuration kwargs."""
    return {
        "threshold": kwargs.get("threshold"),
        "direction": kwargs.get("direction") or DEFAULT_DIRECTION,
        "base": kwargs.get("base") or math.e,
        "alpha": kwargs.get("alpha") or 0.05,
        "min_effect": kwargs.get("min_effect"),
    }


class _KlDriftExpectation(BatchExpectation):
    """Options both expectations share; abstract, so GE registers only the concrete classes."""

    threshold: Union[float, Literal["auto"], None] = pydantic.Field(default=None, description=THRESHOLD_DESCRIPTION)
    warn_threshold: Optional[float] = pydantic.Field(default=None, description=WARN_THRESHOLD_DESCRIPTION)
    smoothing: float = pydantic.Field(default=0.5, description=SMOOTHING_DESCRIPTION)
    direction: Direction = pydantic.Field(default=DEFAULT_DIRECTION, description=DIRECTION_DESCRIPTION)
    base: float = pydantic.Field(default=math.e, description=BASE_DESCRIPTION)
    alpha: float = pydantic.Field(default=0.05, description=ALPHA_DESCRIPTION)
    min_effect: Optional[float] = pydantic.Field(default=None, description=MIN_EFFECT_DESCRIPTION)
    pvalue_method: str = pydantic.Field(default="auto", description=PVALUE_METHOD_DESCRIPTION)
    n_permutations: Optional[int] = pydantic.Field(default=None, description=N_PERMUTATIONS_DESCRIPTION)
    random_state: Optional[int] = pydantic.Field(default=0, description=RANDOM_STATE_DESCRIPTION)

    library_metadata: ClassVar[Dict[str, Any]] = {
        "maturity": "beta",
        "tags": ["distributional expectation", "drift", "kl_drift"],
        "contributors": ["kl_drift"],
        "requirements": ["kl_drift"],
    }
    option_keys: ClassVar[Tuple[str, ...]] = (
        "threshold",
        "warn_threshold",
        "smoothing",
        "direction",
        "base",
        "alpha",
        "min_effect",
        "pvalue_method",
        "n_permutations",
        "random_state",
    )

    _check_smoothing = pydantic.validator("smoothing", allow_reuse=True)(_smoothing)
    _check_options = pydantic.root_validator(skip_on_failure=True, allow_reuse=True)(_compare_options)

    def drift_options(self) -> Dict[str, Any]:
        """The options passed on to :func:`kl_drift.compare`."""
        return {key: getattr(self, key) for key in self.option_keys}


class ExpectColumnKlDriftToBeLessThan(ColumnAggregateExpectation, _KlDriftExpectation):
    """Expect a column's KL drift from its reference profile to be less than a threshold.

    The batch column is counted into the bins of its reference profile, and the smoothed
    divergence D(current ‖ reference) (by default) is compared with `threshold`, exactly as
    :func:`kl_drift.compare` does. The ``observed_value`` is that score, always finite; the
    result ``details`` hold the bins, reference and current proportions, per-bin
    contributions, p-value, threshold, direction and sample sizes (every field of
    :class:`kl_drift.ColumnDrift`, plus ``top_contributions`` and ``warnings``) as strict JSON.
    A column missing from the batch, or of a type that cannot share the reference's bins,
    fails with the reason in ``details["reason"]``.

    Parameters
    ----------
    column : str
        The batch column to check.
    reference : dict
        The column's reference profile, ``profile[column].to_dict()``.
    threshold : float or "auto", optional
        Drift level; the expectation fails at or above it (default 0.1 nats for KL).
    warn_threshold : float, optional
        Warn level (status "warn" in the details; the expectation still passes).
    smoothing : float, default 0.5
        Lidstone pseudo-count per bin; must be positive.
    direction : {"current||reference", "reference||current", "symmetric", "js"}
        Which divergence; "symmetric" is the PSI.
    base : float, default math.e
        e (nats) or 2 (bits).
    alpha, min_effect : float
        Significance level and smallest score that matters, for ``threshold="auto"``.
    pvalue_method, n_permutations, random_state
        The p-value test, as in :func:`kl_drift.compare`.
    row_condition : optional
        GE row condition selecting the rows to count.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> from kl_drift.gx import ExpectColumnKlDriftToBeLessThan
    >>> prof = kd.profile(pd.DataFrame({"plan": ["a", "b"] * 50}))
    >>> expectation = ExpectColumnKlDriftToBeLessThan(column="plan", reference=prof["plan"].to_dict(), threshold=0.1)
    >>> expectation.expectation_type
    'expect_column_kl_drift_to_be_less_than'
    """

    reference: Dict[str, Any] = pydantic.Field(description="The column's reference profile: profile[column].to_dict().")

    success_keys: ClassVar[Tuple[str, ...]] = ("reference", *_KlDriftExpectation.option_keys)
    args_keys: ClassVar[Tuple[str, ...]] = ("column", "reference", "threshold")

    _check_reference = pydantic.validator("reference", allow_reuse=True)(_column_reference)

    def reference_profile(self) -> ReferenceProfile:
        """The reference as a one-column profile, named after `column` (which may differ)."""
        column = ColumnProfile.from_dict(self.reference)
        if column.name != self.column:
            column = replace(column, name=self.column)
        return ReferenceProfile((column,), column.n_rows)

    def get_validation_dependencies(self, execution_engine: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None) -> Any:
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        dependencies.set_metric_configuration(
            metric_name=BIN_COUNTS,
            metric_configuration=MetricConfiguration(
                metric_name=BIN_COUNTS,
                metric_domain_kwargs=_domain_kwargs(self),
                metric_value_kwargs={"targets": count_targets(self.reference_profile().columns)},
            ),
        )
        return dependencies

    def _validate(self, metrics: Dict[str, Any], runtime_configuration: Optional[Dict[str, Any]] = None, execution_engine: Any = None) -> Dict[str, Any]:
        report, notes = evaluate(self.reference_profile(), metrics[BIN_COUNTS], **self.drift_options())
        drift = report[self.column]
        details = column_details(drift)
        details["warnings"] = notes
        return {"success": not drift.drifted, "result": {"observed_value": drift.statistic, "details": details}}

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration[Any]) -> RendererConfiguration[Any]:
        text = column_sentence(renderer_configuration.kwargs["column"], **_sentence_options(renderer_configuration.kwargs))
        renderer_configuration.add_param(name="text", param_type=RendererValueType.STRING, value=text)
        renderer_configuration.template_str = "$text"
        return renderer_configuration

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> List[Any]:
        configuration = _configuration(configuration, result)
        if configuration is None:
            return []
        return [string_block(column_sentence(configuration.kwargs["column"], **_sentence_options(configuration.kwargs)))]

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> str:
        if result is None or not result.result:
            return "--"
        return observed_text(_details(result), result.result.get("observed_value"))

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_TABLE)
    def _diagnostic_unexpected_table_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Optional[List[Any]]:
        details = _details(result)
        if not details:
            return None
        table = top_bins_table([details], with_name=False)
        blocks = ([table] if table is not None else []) + explanation_blocks([details], with_name=False)
        return blocks or None


class ExpectTableKlDriftToBeLessThan(_KlDriftExpectation):
    """Expect the profiled columns of a batch not to have drifted from a reference profile.

    Every profiled column (or those in `columns`) is counted in one pass and scored by
    :func:`kl_drift.compare`, p-values adjusted across columns by `correction`; the
    expectation fails when the dataset rule says the batch drifted: any column drifted, or
    with `drift_share` at least that share of the compared columns. The ``observed_value`` is
    the largest column score; ``details`` is the drift report
    (:meth:`kl_drift.DriftReport.to_dict`, with ``drifted_columns`` and one entry per column
    as for :class:`ExpectColumnKlDriftToBeLessThan`), strict JSON. A profiled column missing
    from the batch, or of a mismatched type, counts as drifted.

    Parameters
    ----------
    reference : dict
        The reference profile, ``profile.to_dict()``.
    columns : list of str, optional
        Columns to check (default: every profiled column).
    threshold, warn_threshold : float, optional
        Drift and warn levels for every column; `threshold` may be "auto".
    thresholds, warn_thresholds : dict, optional
        Per-column levels ``{column: level}``.
    drift_share : float, optional
        Fail when at least this share of the columns drifted (default: when any did).
    correction : {"holm", "bonferroni", "bh", "none"}, default "holm"
        Multiple-testing adjustment of the p-values across columns.
    pairs : "auto" or list of [str, str], optional
        Also check column pairs for joint drift (:mod:`kl_drift.pairs`): "auto" checks every
        pair the reference profile holds (``kd.profile(ref, pairs="auto")``), a list the pairs
        named. A drifted pair fails the expectation; ``details["pairs"]`` holds each pair's
        ``statistic``, ``interaction``, ``pvalue`` and explanations, counted on pandas, SQL
        and Spark batches. Default: no pairs.
    smoothing, direction, base, alpha, min_effect, pvalue_method, n_permutations, random_state
        As for :class:`ExpectColumnKlDriftToBeLessThan`.
    row_condition : optional
        GE row condition selecting the rows to count.

    Examples
    --------
    >>> import pandas as pd, kl_drift as kd
    >>> from kl_drift.gx import ExpectTableKlDriftToBeLessThan
    >>> prof = kd.profile(pd.DataFrame({"plan": ["a", "b"] * 50, "n": range(100)}))
    >>> expectation = ExpectTableKlDriftToBeLessThan(reference=prof.to_dict(), threshold=0.1, drift_share=0.5)
    >>> expectation.expectation_type
    'expect_table_kl_drift_to_be_less_than'
    """

    reference: Dict[str, Any] = pydantic.Field(description="The reference profile: profile.to_dict().")
    columns: Optional[List[str]] = pydantic.Field(default=None, description="Columns to check (default: all profiled).")
    thresholds: Optional[Dict[str, float]] = pydantic.Field(default=None, description="Per-column drift levels.")
    warn_thresholds: Optional[Dict[str, float]] = pydantic.Field(default=None, description="Per-column warn levels.")
    drift_share: Optional[float] = pydantic.Field(
        default=None, description="Fail when at least this share (0 < share <= 1) of the columns drifted."
    )
    correction: str = pydantic.Field(default="holm", description="'holm' (default), 'bonferroni', 'bh' or 'none'.")
    pairs: Union[Literal["auto"], List[List[str]], None] = pydantic.Field(default=None, description=PAIRS_DESCRIPTION)
    row_condition: RowConditionType = None
    condition_parser: Union[ConditionParser, None] = None

    domain_keys: ClassVar[Tuple[str, ...]] = ("batch_id", "row_condition", "condition_parser")
    option_keys: ClassVar[Tuple[str, ...]] = (
        *_KlDriftExpectation.option_keys,
        "columns",
        "thresholds",
        "warn_thresholds",
        "drift_share",
        "correction",
    )
    success_keys: ClassVar[Tuple[str, ...]] = ("reference", *option_keys, "pairs")
    args_keys: ClassVar[Tuple[str, ...]] = ("reference", "threshold")

    _check_reference = pydantic.validator("reference", allow_reuse=True)(_table_reference)

    @pydantic.root_validator(skip_on_failure=True)
    def _check_pairs(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values.get("pairs") is not None:
            from ..pairs import chosen_pairs

            chosen_pairs(ReferenceProfile.from_dict(values["reference"]), values["pairs"], values.get("columns"))
        return values

    def checked_pairs(self) -> Tuple[Any, ...]:
        """The reference's pair counts this expectation checks (none unless `pairs` is set)."""
        if self.pairs is None:
            return ()
        from ..pairs import chosen_pairs

        return chosen_pairs(self.reference_profile(), self.pairs, self.columns)

    @pydantic.root_validator(skip_on_failure=True)
    def _check_column_names(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        names = [c["name"] for c in values["reference"]["columns"]]
        unknown = [c for c in values.get("columns") or () if c not in names]
        if unknown:
            raise ValueError(f"`columns` names {unknown[0]!r}, which is not in the reference profile {names}")
        checked = values.get("columns") or names
        for option in ("thresholds", "warn_thresholds"):
            for column in values.get(option) or {}:
                if column not in checked:
                    raise ValueError(f"`{option}` names {column!r}, which is not a checked column {checked}")
        return values

    def reference_profile(self) -> ReferenceProfile:
        """The reference profile, validated."""
        return ReferenceProfile.from_dict(self.reference)

    def get_validation_dependencies(self, execution_engine: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None) -> Any:
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        profile = self.reference_profile()
        checked = [profile[name] for name in self.columns] if self.columns else list(profile.columns)
        dependencies.set_metric_configuration(
            metric_name=BIN_COUNTS,
            metric_configuration=MetricConfiguration(
                metric_name=BIN_COUNTS,
                metric_domain_kwargs=_domain_kwargs(self),
                metric_value_kwargs={"targets": count_targets(checked)},
            ),
        )
        pairs = self.checked_pairs()
        if pairs:
            dependencies.set_metric_configuration(
                metric_name=PAIR_COUNTS,
                metric_configuration=MetricConfiguration(
                    metric_name=PAIR_COUNTS,
                    metric_domain_kwargs=_domain_kwargs(self),
                    metric_value_kwargs={"pairs": pair_targets(profile, pairs)},
                ),
            )
        return dependencies

    def _validate(self, metrics: Dict[str, Any], runtime_configuration: Optional[Dict[str, Any]] = None, execution_engine: Any = None) -> Dict[str, Any]:
        profile = self.reference_profile()
        options = self.drift_options()
        report, notes = evaluate(profile, metrics[BIN_COUNTS], **options)
        if PAIR_COUNTS in metrics:
            report = evaluate_pairs(report, profile, metrics[PAIR_COUNTS], metrics[BIN_COUNTS], self.pairs, **options)
        details = report.to_dict()
        details["columns"] = [column_details(c) for c in report.columns]
        details["warnings"] = notes
        scores = [c.statistic for c in report.columns if c.statistic is not None]
        observed = max(scores) if scores else None
        return {"success": not report.drifted, "result": {"observed_value": observed, "details": details}}

    @staticmethod
    def _sentence(kwargs: Dict[str, Any]) -> str:
        names = kwargs.get("columns") or [c["name"] for c in kwargs["reference"]["columns"] if c.get("bins") is not None]
        shown = [str(n) for n in names[:_NAMED_COLUMNS]]
        if len(names) > _NAMED_COLUMNS:
            shown.append(f"… {len(names) - _NAMED_COLUMNS} more")
        return table_sentence(shown, drift_share=kwargs.get("drift_share"), **_sentence_options(kwargs))

    @classmethod
    def _prescriptive_template(cls, renderer_configuration: RendererConfiguration[Any]) -> RendererConfiguration[Any]:
        renderer_configuration.add_param(
            name="text", param_type=RendererValueType.STRING, value=cls._sentence(renderer_configuration.kwargs)
        )
        renderer_configuration.template_str = "$text"
        return renderer_configuration

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> List[Any]:
        configuration = _configuration(configuration, result)
        if configuration is None:
            return []
        return [string_block(cls._sentence(configuration.kwargs))]

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> str:
        details = _details(result)
        return table_observed_text(details) if details else "--"

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_TABLE)
    def _diagnostic_unexpected_table_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Optional[List[Any]]:
        details = _details(result)
        if not details:
            return None
        flagged = [c for c in details.get("columns") or [] if c.get("status") in ("drift", "warn")]
        table = top_bins_table(flagged, with_name=True)
        blocks = ([table] if table is not None else []) + explanation_blocks(flagged, with_name=True)
        return blocks or None
