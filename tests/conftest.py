"""Shared fixtures: small generated frames and a strict JSON parser."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON constant {token}")


def strict_json_loads(text: str) -> Any:
    """json.loads that fails on NaN, Infinity and -Infinity literals."""
    return json.loads(text, parse_constant=_reject_constant)


@pytest.fixture
def strict_loads() -> Callable[[str], Any]:
    """A json.loads that rejects NaN/Infinity literals, for checking "strict JSON" claims."""
    return strict_json_loads


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def make_frame(rng: np.random.Generator, n: int, *, shift: float = 0.0) -> pd.DataFrame:
    """One column of every kind the core bins, with missing values in each.

    `shift` moves the numeric and datetime columns and the category mix, so a current frame
    made with a shift has drifted and one made without has not.
    """
    age = rng.normal(40 + 10 * shift, 12, n)
    age[rng.random(n) < 0.05] = np.nan
    items = pd.array(rng.integers(0, 60, n), dtype="Int64")
    items[rng.random(n) < 0.03] = pd.NA
    plan_p = np.array([0.5, 0.3, 0.15, 0.05])
    plan_p = plan_p if shift == 0 else np.array([0.2, 0.3, 0.15, 0.35])
    plan = rng.choice(np.array(["basic", "plus", "pro", "team"], dtype=object), size=n, p=plan_p)
    plan[rng.random(n) < 0.04] = None
    member = pd.array(rng.random(n) < 0.4 + 0.3 * shift, dtype="boolean")
    member[rng.random(n) < 0.02] = pd.NA
    start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=30 * shift)
    seconds = rng.integers(0, 90 * 86400, n)
    when = pd.Series(start + pd.to_timedelta(seconds, unit="s"))
    when[rng.random(n) < 0.03] = pd.NaT
    return pd.DataFrame(
        {
            "age": age,
            "items": items,
            "plan": pd.Series(plan, dtype="string"),
            "member": member,
            "when": when,
        }
    )


@pytest.fixture
def reference_df(rng: np.random.Generator) -> pd.DataFrame:
    return make_frame(rng, 3000)


@pytest.fixture
def current_df(rng: np.random.Generator) -> pd.DataFrame:
    return make_frame(rng, 2000, shift=1.0)


@pytest.fixture
def stable_df(rng: np.random.Generator) -> pd.DataFrame:
    return make_frame(rng, 2000)
