"""Seeded simulation: is a pair's alarm as trustworthy as a column's?

Under no drift (reference and current drawn from the same dependent pair of columns, the
2-D bins fitted on the reference as `kd.profile` fits them), a pair's p-value should fall
below alpha = 0.05 at rate 0.05 ± 0.02 whatever the kinds of the two columns and the sample
sizes; when the dependence breaks while both marginals stay the same, the pair should be
flagged nearly always. Every cell is a fixed-seed simulation through the public API
(profile with pairs, compare). The full grid is marked slow (`pytest -m slow`); a quick
subset runs always.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

ALPHA = 0.05
FPR_BAND = (0.03, 0.07)


def draw(kind: str, rng: np.random.Generator, n: int, rho: float = 0.7) -> pd.DataFrame:
    """Two related columns: numeric × numeric, numeric × categorical, categorical × categorical,
    skewed and discrete, or numeric with 10% missing values."""
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
    if kind == "numeric":
        return pd.DataFrame({"a": x, "b": y})
    if kind == "mixed":
        return pd.DataFrame({"a": x, "b": np.where(y > 0.5, "hi", np.where(y < -0.5, "lo", "mid"))})
    if kind == "categorical":
        return pd.DataFrame({"a": np.digitize(x, [-1, 0, 1]).astype(str), "b": np.digitize(y, [-0.3, 0.8]).astype(str)})
    if kind == "skewed":
        return pd.DataFrame({"a": np.exp(x), "b": np.round(np.exp(y) * 3)})
    frame = pd.DataFrame({"a": x, "b": y})
    frame.loc[rng.random(n) < 0.1, "b"] = np.nan
    return frame


def pair_pvalues(kind: str, n_reference: int, n_current: int, reps: int, *, decouple: bool = False) -> np.ndarray:
    rng = np.random.default_rng([n_reference, n_current, len(kind), decouple])
    pvalues = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(reps):
            prof = kd.profile(draw(kind, rng, n_reference), pairs=[("a", "b")])
            current = draw(kind, rng, n_current)
            if decouple:
                current["b"] = rng.permutation(current["b"].to_numpy())
            pvalues.append(kd.compare(prof, current).pairs[("a", "b")].pvalue)
    return np.asarray(pvalues)


@pytest.mark.parametrize(("kind", "n_reference", "n_current"), [("mixed", 1000, 1000), ("numeric", 200, 200)])
def test_false_positive_rate_quick(kind: str, n_reference: int, n_current: int) -> None:
    rate = float(np.mean(pair_pvalues(kind, n_reference, n_current, 500) < ALPHA))
    assert FPR_BAND[0] <= rate <= FPR_BAND[1], rate


def test_decoupled_pairs_are_caught_quick() -> None:
    assert np.mean(pair_pvalues("mixed", 1000, 1000, 50, decouple=True) < ALPHA) >= 0.95


GRID = [
    (kind, n_reference, n_current)
    for kind in ("numeric", "mixed", "categorical", "skewed", "missing")
    for n_reference, n_current in ((200, 200), (1000, 1000), (5000, 500), (500, 5000), (20_000, 20_000))
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n_reference", "n_current"), GRID)
def test_false_positive_rate_grid(kind: str, n_reference: int, n_current: int) -> None:
    rate = float(np.mean(pair_pvalues(kind, n_reference, n_current, 1000) < ALPHA))
    assert FPR_BAND[0] <= rate <= FPR_BAND[1], rate


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["numeric", "mixed", "categorical", "skewed", "missing"])
def test_decoupled_pairs_are_caught(kind: str) -> None:
    assert np.mean(pair_pvalues(kind, 2000, 2000, 200, decouple=True) < ALPHA) >= 0.95


def test_random_halves_raise_no_pair_alarm_with_auto() -> None:
    """With several pairs and the default decision, undrifted data flags none at most 5% of the time."""
    rng = np.random.default_rng(11)
    alarms = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        for _ in range(100):
            frame = pd.concat([draw("mixed", rng, 2000), draw("numeric", rng, 2000).add_prefix("n")], axis=1)
            prof = kd.profile(frame.iloc[:1000], pairs="auto")
            alarms += any(p.drifted for p in kd.compare(prof, frame.iloc[1000:]).pairs.values())
    assert alarms <= 8, alarms
