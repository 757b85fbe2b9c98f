"""Measured prototypes of changes to kl_drift's hot paths, each checked against the current code.

Usage::

    python benchmarks/prototypes.py [--rows 1000000]

Each prototype is a drop-in replacement of one core function (it is not used by the
package): the script asserts that it returns exactly what the current function returns on
the benchmark's columns, and prints the CPU time of both (best of 5, one thread).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data_gen as gen  # noqa: E402

from kl_drift import _columns  # noqa: E402
from kl_drift._core import bins as core_bins  # noqa: E402


def cpu_best(job: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        job()
        best = min(best, time.process_time() - start)
    return best


# ------------------------------------------------------------------ P1: fit_categorical, one factorisation


def fit_categorical_once(series: pd.Series, kind: str, max_categories: int) -> _columns.Fitted:
    """fit_categorical whose reference counts come from its own ranking, not a second factorize."""
    value_type = _columns._value_type(kind, series)
    codes, uniques = _columns._factorize(series)
    per_code = np.bincount(codes + 1, minlength=len(uniques) + 1)
    values = np.asarray(uniques, dtype=object)
    freq = per_code[1:]
    order = np.lexsort((np.array([str(v) for v in values], dtype=object), -freq))
    ranked = [_columns._json_scalar(values[i], value_type) for i in order]
    kept, pooled = ranked[:max_categories], ranked[max_categories:]
    complete = len(pooled) <= _columns.MAX_LISTED_OTHER_VALUES
    spec = core_bins.CategoricalBins(
        categories=tuple(kept), value_type=value_type,  # type: ignore[arg-type]
        other_values=tuple(pooled) if complete else (), other_complete=complete,
    )
    ranked_freq = freq[order]
    counts = list(ranked_freq[:max_categories])
    if spec.has_other:
        counts.append(ranked_freq[max_categories:].sum())
    counts += [0, per_code[0]]
    return _columns.Fitted(kind, str(series.dtype), spec, np.asarray(counts, dtype=np.int64), 0)


# ------------------------------------------------------------------ P2: discrete check without np.diff


def n_distinct_diff(s: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(s))) + 1


def at_most_distinct(s: np.ndarray, limit: int) -> bool:
    """Whether sorted `s` has at most `limit` distinct values: jump from value to value by bisection."""
    position, seen = 0, 0
    while position < s.size:
        seen += 1
        if seen > limit:
            return False
        position = int(np.searchsorted(s, s[position], side="right"))
    return True


# ------------------------------------------------------------------ P3: finite values of a sorted array as a view


def finite_mask(s: np.ndarray) -> np.ndarray:
    return s[np.isfinite(s)] if s.dtype.kind == "f" else s


def finite_view(s: np.ndarray) -> np.ndarray:
    """Infinities sit at the ends of a sorted array: slice them off without a mask or a copy."""
    if s.dtype.kind != "f":
        return s
    return s[np.searchsorted(s, -np.inf, side="right"): np.searchsorted(s, np.inf, side="left")]


# ------------------------------------------------------------------ P4: count_numeric in cache-sized blocks


_BLOCK = 1 << 16


def count_numeric_blocked(x: np.ndarray, edges: tuple[Any, ...]) -> tuple[np.ndarray, int]:
    """count_numeric with every edge compared on one 64Ki-value block while it is in cache."""
    n = x.size
    is_float = x.dtype.kind == "f"
    edge_arr = np.asarray(edges, dtype=x.dtype if x.dtype.kind in "iu" else np.float64)
    cum = np.zeros(len(edges), dtype=np.int64)
    n_values = 0
    n_inf = 0
    mask = np.empty(min(_BLOCK, n), dtype=bool)
    for start in range(0, n, _BLOCK):
        block = x[start:start + _BLOCK]
        out = mask[: block.size]
        for i, e in enumerate(edge_arr):
            cum[i] += np.count_nonzero(np.less_equal(block, e, out=out))
        if is_float:
            n_values += int(np.count_nonzero(np.equal(block, block, out=out)))
            n_inf += int(np.count_nonzero(np.isinf(block, out=out)))
    n_missing = n - n_values if is_float else 0
    value_counts = np.diff(np.concatenate(([0], cum, [n - n_missing])))
    return np.concatenate((value_counts, [n_missing])).astype(np.int64), n_inf


# ------------------------------------------------------------------ P5: categorical counts from value_counts


def count_categorical_value_counts(series: pd.Series, spec: core_bins.CategoricalBins) -> np.ndarray:
    """count_categorical through the column's own value counts (pyarrow's hash aggregation for
    Arrow strings): no n-length codes array, no ``codes + 1`` copy, no bincount pass."""
    counts_by_value = series.value_counts(dropna=True, sort=False)
    n_missing = len(series) - int(counts_by_value.sum())
    uniques = counts_by_value.index
    targets = np.full(len(uniques), spec.unseen_index if spec.other_complete else spec.other_index, dtype=np.intp)
    if len(uniques):
        if spec.value_type == "number":
            lookup_keys: Any = pd.Index(np.asarray(pd.to_numeric(np.asarray(uniques, dtype=object)), dtype=np.float64))
        else:
            lookup_keys = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
        if spec.categories:
            hit = _columns._lookup_index(list(spec.categories), spec.value_type).get_indexer(lookup_keys)
            targets = np.where(hit >= 0, hit, targets)
        if spec.other_values:
            pooled = _columns._lookup_index(list(spec.other_values), spec.value_type).get_indexer(lookup_keys)
            targets = np.where(pooled >= 0, len(spec.categories), targets)
    counts = np.bincount(targets, weights=counts_by_value.to_numpy(), minlength=spec.n_bins).astype(np.int64)
    counts[-1] += n_missing
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    ref = gen.frame(args.rows, seed=1)
    cur = gen.frame(args.rows, seed=2, drift=True)
    rows: list[tuple[str, float, float]] = []

    old = new = 0.0
    for name in gen.CATEGORICAL:
        kind = _columns.classify(ref[name])
        a = _columns.fit_categorical(ref[name], kind, 50)
        b = fit_categorical_once(ref[name], kind, 50)
        assert a.spec == b.spec and np.array_equal(a.counts, b.counts), name
        old += cpu_best(lambda: _columns.fit_categorical(ref[name], kind, 50))
        new += cpu_best(lambda: fit_categorical_once(ref[name], kind, 50))
    rows.append(("P1 fit_categorical: one factorize (5 cat. columns)", old, new))

    old = new = 0.0
    for name in gen.NUMERIC:
        s, _, _ = core_bins.sorted_values(_columns.numeric_values(ref[name]))
        assert (n_distinct_diff(s) <= 20) == at_most_distinct(s, 20), name
        assert np.array_equal(finite_mask(s), finite_view(s)), name
        old += cpu_best(lambda: n_distinct_diff(s) <= 20)
        new += cpu_best(lambda: at_most_distinct(s, 20))
    rows.append(("P2 discrete check: bisection jumps, no np.diff (20 num.)", old, new))

    old = new = 0.0
    for name in gen.NUMERIC:
        s, _, _ = core_bins.sorted_values(_columns.numeric_values(ref[name]))
        old += cpu_best(lambda: finite_mask(s))
        new += cpu_best(lambda: finite_view(s))
    rows.append(("P3 fit_numeric: finite values as a view (20 num.)", old, new))

    edges = {}
    for name in gen.NUMERIC:
        s, _, _ = core_bins.sorted_values(_columns.numeric_values(ref[name]))
        edges[name] = core_bins.fit_numeric(s, bins=10, strategy="quantile", integer=s.dtype.kind in "iu")
    old = new = 0.0
    for name in gen.NUMERIC:
        x = _columns.numeric_values(cur[name])
        a_counts, a_inf = core_bins.count_numeric(x, edges[name])
        b_counts, b_inf = count_numeric_blocked(x, edges[name])
        assert np.array_equal(a_counts, b_counts) and a_inf == b_inf, name
        old += cpu_best(lambda: core_bins.count_numeric(x, edges[name]))
        new += cpu_best(lambda: count_numeric_blocked(x, edges[name]))
    rows.append(("P4 count_numeric: 64Ki blocks, all edges in cache (20 num.)", old, new))

    old = new = 0.0
    for name in gen.CATEGORICAL:
        spec = _columns.fit_categorical(ref[name], _columns.classify(ref[name]), 50).spec
        assert isinstance(spec, core_bins.CategoricalBins)
        assert np.array_equal(_columns.count_categorical(cur[name], spec), count_categorical_value_counts(cur[name], spec))
        old += cpu_best(lambda: _columns.count_categorical(cur[name], spec))
        new += cpu_best(lambda: count_categorical_value_counts(cur[name], spec))
    rows.append(("P5 count_categorical via value_counts (5 cat. columns)", old, new))

    old = new = 0.0
    for name in gen.NUMERIC + gen.CATEGORICAL:
        col = cur[name]
        old += cpu_best(lambda: col.isna().all())
    rows.append(("P6 check_current_type: isna().all() on all 25 columns (cost only)", old, 0.0))

    print(f"{args.rows:,} rows; CPU seconds, best of 5, one thread; every prototype returns what the core returns")
    for label, before, after in rows:
        gain = f"{before / after:5.1f}x faster" if after else "removable"
        print(f"{label:64s} now {before:7.4f} s   prototype {after:7.4f} s   {gain}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
