"""Batched scoring (`score_tables`, and `score_table`'s columns scored together) gives the bits of
scoring each table, and each column, on its own."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd
from kl_drift._options import CompareOptions
from kl_drift._scoring import score_table, score_tables
from kl_drift.counts import CountTable
from kl_drift.profile import ReferenceProfile


def bits(value: Any) -> Any:
    """Every field of a report, floats as their exact hex (NaN and -0.0 included), created_at aside."""
    if isinstance(value, float):
        return ("float", value.hex() if not math.isnan(value) else "nan")
    if isinstance(value, np.floating):
        raise AssertionError(f"numpy scalar {value!r} in a report")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (f.name, bits(getattr(value, f.name))) for f in dataclasses.fields(value) if f.name != "created_at"
        )
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(bits(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((bits(k), bits(v)) for k, v in value.items())
    return (type(value).__name__, value)


def one_by_one(jobs: list[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, **kw: Any) -> tuple[Any, Any]:
    """Reports and warnings of scoring each table on its own, column by column."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports = [score_table(prof, table, opts, **kw) for prof, table in jobs]
    return [bits(r) for r in reports], [(w.category, str(w.message)) for w in caught]


def batched(jobs: list[tuple[ReferenceProfile, CountTable]], opts: CompareOptions, **kw: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports = score_tables(jobs, opts, **kw)
    return [bits(r) for r in reports], [(w.category, str(w.message)) for w in caught]


def _frames(seed: int, n_ref: int, n_cur: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n: int, shift: float) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, n)
        x[rng.random(n) < 0.05] = np.nan
        return pd.DataFrame({
            "x": x,
            "y": rng.exponential(1.0 + shift, n),
            "k": rng.integers(0, 4, n),
            "s": rng.choice(["a", "b", "c", "d", "e"], n, p=[0.4, 0.3, 0.2, 0.05, 0.05]),
            "w": np.array([f"v{i}" for i in rng.zipf(1.5 + shift, n)], dtype=object),
            "b": rng.random(n) < 0.3 + shift / 4,
        })

    return frame(n_ref, 0.0), frame(n_cur, 0.2)


OPTIONS = [
    {},
    {"threshold": 0.05, "correction": "bh"},
    {"direction": "symmetric", "pvalue_method": "asymptotic"},
    {"direction": "js", "base": 2.0, "smoothing": 0.1},
    {"direction": "reference||current", "pvalue_method": "permutation", "n_permutations": 500},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_score_tables_equals_score_table_per_table(options: dict[str, Any]) -> None:
    reference, current = _frames(3, 2000, 3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        prof = kd.profile(reference)
    opts = CompareOptions.resolve(**options)
    chunks = [current.iloc[i : i + size] for i, size in ((0, 3000), (0, 40), (100, 7), (500, 1200), (2000, 1))]
    jobs = [(prof, kd.count(prof, chunk)) for chunk in chunks]
    assert batched(jobs, opts) == one_by_one(jobs, opts)
    assert batched(jobs, opts, columns=["s", "x"]) == one_by_one(jobs, opts, columns=["s", "x"])
    assert batched([], opts) == ([], [])
