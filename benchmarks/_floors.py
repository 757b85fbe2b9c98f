"""Hand-written numpy floors for the benchmark: the same job as kd.profile / kd.compare, minimal.

Two floors, each for profiling (fit 10 quantile edges and count the reference) and for
comparing (count the current into the reference's bins):

* naive: ``np.quantile`` edges, then ``np.searchsorted`` + ``np.bincount`` per column;
* fast (DESIGN.md): sort each reference column once (edges are order statistics of the
  sorted array, and its counts are ``searchsorted`` on it); count the current with one
  ``count_nonzero(x <= e)`` per edge.

Categorical columns are the same in both: ``pd.factorize`` + ``np.bincount``, and for the
current a lookup of its distinct values among the reference's categories.
Only columns and bins are computed; none of kl_drift's checks, reports or warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

BINS = 10
_QUANTILES = np.arange(1, BINS) / BINS


def _values(series: pd.Series) -> np.ndarray:
    return series.to_numpy()


def _non_missing(x: np.ndarray) -> np.ndarray:
    return x[~np.isnan(x)] if x.dtype.kind == "f" else x


def naive_profile_numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    x = _non_missing(_values(series))
    edges = np.unique(np.quantile(x, _QUANTILES, method="inverted_cdf"))
    counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)
    return edges, counts


def fast_profile_numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    s = np.sort(_non_missing(_values(series)))
    n = s.size
    edges = np.unique(s[np.ceil(_QUANTILES * n).astype(np.int64) - 1])
    cum = np.searchsorted(s, edges, side="right")
    return edges, np.diff(np.concatenate(([0], cum, [n])))


def naive_count_numeric(series: pd.Series, edges: np.ndarray) -> np.ndarray:
    x = _non_missing(_values(series))
    return np.bincount(np.searchsorted(edges, x, side="left"), minlength=edges.size + 1)


def fast_count_numeric(series: pd.Series, edges: np.ndarray) -> np.ndarray:
    x = _values(series)
    n_values = int(np.count_nonzero(x == x)) if x.dtype.kind == "f" else x.size
    cum = [np.count_nonzero(x <= e) for e in edges]
    return np.diff(np.concatenate(([0], cum, [n_values])))


def profile_categorical(series: pd.Series) -> tuple[list[Any], np.ndarray]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:]
    order = np.argsort(-counts, kind="stable")
    return [uniques[i] for i in order], counts[order]


def count_categorical(series: pd.Series, categories: Sequence[Any]) -> np.ndarray:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    per_code = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:]
    target = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    target = np.where(target >= 0, target, len(categories))
    return np.bincount(target, weights=per_code, minlength=len(categories) + 1).astype(np.int64)


def _map(jobs: Sequence[Callable[[], Any]], threads: int) -> list[Any]:
    if threads <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda job: job(), jobs))


def profile(df: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str], *, fast: bool, threads: int) -> dict[str, Any]:
    """Edges (or categories) and counts per column."""
    fit = fast_profile_numeric if fast else naive_profile_numeric
    jobs = [lambda c=c: fit(df[c]) for c in numeric] + [lambda c=c: profile_categorical(df[c]) for c in categorical]
    return dict(zip([*numeric, *categorical], _map(jobs, threads)))


def compare(
    df: pd.DataFrame, edges: Mapping[str, np.ndarray], categories: Mapping[str, Sequence[Any]], *, fast: bool, threads: int
) -> dict[str, np.ndarray]:
    """Counts of the current per column in given numeric edges / reference categories."""
    count = fast_count_numeric if fast else naive_count_numeric
    jobs = [lambda c=c: count(df[c], edges[c]) for c in edges]
    jobs += [lambda c=c: count_categorical(df[c], categories[c]) for c in categories]
    return dict(zip([*edges, *categories], _map(jobs, threads)))
