"""Properties of the smoothed divergences on arbitrary count vectors."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kl_drift as kd
from kl_drift._core.divergence import divergence_terms

COUNT = st.integers(min_value=0, max_value=10**7)


@st.composite
def count_pairs(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Two count vectors over the same bins, each with at least one count."""
    k = draw(st.integers(min_value=1, max_value=30))
    p = draw(st.lists(COUNT, min_size=k, max_size=k).filter(any))
    q = draw(st.lists(COUNT, min_size=k, max_size=k).filter(any))
    return p, q


SMOOTHING = st.floats(min_value=1e-6, max_value=10.0)
BASE = st.sampled_from([math.e, 2])


@settings(max_examples=100, deadline=None)
@given(count_pairs(), SMOOTHING, BASE, st.sampled_from(kd.DIRECTIONS))
def test_divergences_are_non_negative_and_finite_with_smoothing(pair, smoothing, base, direction):
    p, q = pair
    statistic, contributions = divergence_terms(p, q, direction=direction, smoothing=smoothing, base=base)
    assert math.isfinite(statistic) and statistic >= 0
    assert np.all(np.isfinite(contributions))
    assert math.isclose(math.fsum(contributions), statistic, rel_tol=1e-9, abs_tol=1e-12)
    kl = kd.kl_divergence(p, q, smoothing=smoothing, base=base)
    js = kd.js_divergence(p, q, smoothing=smoothing, base=base)
    assert math.isfinite(kl) and kl >= 0
    assert 0 <= js <= math.log(2) / math.log(base) + 1e-12


@settings(max_examples=100, deadline=None)
@given(count_pairs(), st.floats(min_value=0.0, max_value=10.0), BASE, st.sampled_from(kd.DIRECTIONS))
def test_divergence_of_a_distribution_from_itself_is_zero(pair, smoothing, base, direction):
    p, _ = pair
    statistic, contributions = divergence_terms(p, p, direction=direction, smoothing=smoothing, base=base)
    assert statistic == 0.0
    assert np.all(contributions == 0)
    assert kd.kl_divergence(p, p, smoothing=smoothing, base=base) == 0.0
    assert kd.js_divergence(p, p, smoothing=smoothing, base=base) == 0.0


@settings(max_examples=100, deadline=None)
@given(count_pairs(), BASE, st.sampled_from(kd.DIRECTIONS))
def test_unsmoothed_divergence_is_never_nan(pair, base, direction):
    p, q = pair
    statistic, contributions = divergence_terms(p, q, direction=direction, smoothing=0, base=base)
    assert not math.isnan(statistic) and statistic >= 0
    assert not np.any(np.isnan(contributions))
    if direction == "js":
        assert math.isfinite(statistic)


@settings(max_examples=60, deadline=None)
@given(count_pairs(), SMOOTHING)
def test_symmetric_is_forward_plus_reverse(pair, smoothing):
    p, q = pair
    forward, _ = divergence_terms(p, q, smoothing=smoothing)
    reverse, _ = divergence_terms(p, q, direction="reference||current", smoothing=smoothing)
    both, _ = divergence_terms(p, q, direction="symmetric", smoothing=smoothing)
    assert math.isclose(both, forward + reverse, rel_tol=1e-9, abs_tol=1e-12)
