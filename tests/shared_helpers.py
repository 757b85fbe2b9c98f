"""Helpers shared by several test modules (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest

import kl_drift as kd

T = TypeVar("T")


def halves(table: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the rows of `table` into two random halves (each row a fair coin, by `seed`)."""
    mask = np.random.default_rng(seed).random(len(table)) < 0.5
    return table[mask].reset_index(drop=True), table[~mask].reset_index(drop=True)


def quietly(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call `func` with kl_drift's own warnings silenced (other warnings still show)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kd.KlDriftWarning)
        return func(*args, **kwargs)


def record_calls(monkeypatch: Any, owner: Any, name: str) -> list[bool]:
    """Wrap ``owner.name`` (a function that returns None when it declines) for the test: the
    returned list gets, per call, whether the call returned something."""
    real = getattr(owner, name)
    calls: list[bool] = []

    def recorded(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(owner, name, recorded)
    return calls


def on_each_counting_path(check: Callable[[], None]) -> None:
    """Run `check` on the numpy counting path and, when numba is installed, on the compiled
    kernels (the environment variable set, `kernels.prepare(0)` called first); the counting
    path is decided afresh afterwards, also when `check` fails."""
    from kl_drift._core import kernels

    settings = [kernels.DISABLE_ENV] + ([kernels.FORCE_ENV] if kernels.available() else [])
    try:
        for name in settings:
            with pytest.MonkeyPatch.context() as patch:
                patch.delenv(kernels.FORCE_ENV, raising=False)
                patch.delenv(kernels.DISABLE_ENV, raising=False)
                patch.setenv(name, "1")
                kernels.prepare(0)
                check()
    finally:
        kernels.prepare(0)
