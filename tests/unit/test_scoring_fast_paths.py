"""The unchecked paths scoring takes for its own counts give the public functions' bits, and
the labels cached on the frozen bin specs leave equality, hashing and pickles alone."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from kl_drift._core.bins import CategoricalBins, NumericBins, with_range
from kl_drift._core.divergence import DIRECTIONS, divergence_terms, divergence_terms_unchecked, g_test, g_test_kept
from kl_drift._core.stats import drift_pvalue, drift_pvalue_unchecked


def _count_pairs(seed: int, n: int = 200) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        k = int(rng.integers(2, 40))
        cur = rng.integers(0, 50, k) * (rng.random(k) < 0.8)
        ref = rng.integers(0, 5000, k) * (rng.random(k) < 0.8)
        cur[0] += 1
        ref[-1] += 1
        pairs.append((cur, ref))
    return pairs


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("smoothing, base", [(0.5, math.e), (0.0, 2.0), (0.1, math.e)])
def test_unchecked_divergence_has_the_public_bits(direction: str, smoothing: float, base: float) -> None:
    for cur, ref in _count_pairs(1):
        stat, terms = divergence_terms(cur, ref, direction=direction, smoothing=smoothing, base=base)
        fast, fast_terms = divergence_terms_unchecked(
            cur.astype(np.float64), ref.astype(np.float64), direction, smoothing, math.log(base)
        )
        assert fast == stat or (math.isinf(fast) and math.isinf(stat))
        assert fast_terms.tobytes() == terms.tobytes()


@pytest.mark.parametrize("method", ["auto", "asymptotic"])
def test_unchecked_pvalue_has_the_public_bits(method: str) -> None:
    for cur, ref in _count_pairs(2, 100):
        expected = drift_pvalue(cur, ref, method=method, n_permutations=200)
        got = drift_pvalue_unchecked(cur.astype(np.float64), ref.astype(np.float64), method, "hypergeometric", 200, 0)
        assert got == expected
        keep = (cur + ref) > 0
        assert g_test_kept(cur[keep].astype(np.float64), ref[keep].astype(np.float64), williams=True) == g_test(
            cur, ref, williams=True
        )


def test_public_functions_still_validate_counts() -> None:
    with pytest.raises(ValueError, match="non-negative finite counts"):
        divergence_terms([1, -1], [1, 1])
    with pytest.raises(ValueError, match="non-negative finite counts"):
        drift_pvalue([1.0, float("nan")], [1, 1], method="asymptotic")
    with pytest.raises(ValueError, match="at least one count"):
        divergence_terms_unchecked(np.zeros(2), np.ones(2), "js", 0.5, 1.0)


def test_cached_labels_leave_specs_equal_hashable_and_pickled_as_fields() -> None:
    spec = NumericBins(with_range((1.0, 2.0), 0.5, 3.0), low=0.5, high=3.0)
    fresh = NumericBins(with_range((1.0, 2.0), 0.5, 3.0), low=0.5, high=3.0)
    assert spec.labels == fresh.labels and spec.range_labels == ("0.5", "3")
    assert spec.labels is spec.labels  # computed once
    assert spec == fresh and hash(spec) == hash(fresh)
    before = pickle.dumps(NumericBins(with_range((1.0, 2.0), 0.5, 3.0), low=0.5, high=3.0))
    assert pickle.dumps(spec) == before  # the cached labels are not pickled
    back = pickle.loads(pickle.dumps(spec))
    assert back == spec and back.labels == spec.labels and back.below_bins == spec.below_bins
    cats = CategoricalBins(("a", "b"), other_values=("c",))
    assert cats.labels == ("a", "b", "(other)", "(unseen)", "(missing)")
    assert pickle.loads(pickle.dumps(cats)) == cats


def test_results_stored_directly_equal_the_dataclass_constructor() -> None:
    """`_column_drift` (a timeline's thousands of results) gives what ``ColumnDrift(**...)``
    gives: equal, the same attributes in the same order, the same JSON; a result missing a
    field or holding an unknown one still fails as the constructor does."""
    import dataclasses
    import warnings

    import pandas as pd

    import kl_drift as kd
    from kl_drift._options import CompareOptions
    from kl_drift._scoring import _column_drift, _scored
    from kl_drift.report import ColumnDrift

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=500), "s": rng.choice(["a", "b", "c"], 500)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(frame)
        table = kd.count(prof, frame.iloc[:200])
    opts = CompareOptions.resolve()
    for name in ("x", "s"):
        pending = _scored(prof[name], table.columns[name], (0.1, 0.05), opts)
        for status, drifted, adjusted in (("ok", False, 0.5), ("drift", True, 1e-9)):
            made = _column_drift(pending, status, drifted, adjusted)
            built = ColumnDrift(**pending, status=status, drifted=drifted, pvalue_adjusted=adjusted)
            assert type(made) is ColumnDrift and made == built
            assert list(vars(made).items()) == list(vars(built).items())
            assert made.to_dict() == built.to_dict() and repr(made) == repr(built)
            with pytest.raises(dataclasses.FrozenInstanceError):
                made.status = "warn"  # type: ignore[misc]
        unknown = type(pending)({**pending, "colour": "red"})
        with pytest.raises(TypeError, match="colour"):
            _column_drift(unknown, "ok", False, 0.5)
        missing = type(pending)({k: v for k, v in pending.items() if k != "kind"})
        with pytest.raises(TypeError, match="kind"):
            _column_drift(missing, "ok", False, 0.5)
