"""What joint drift costs: ``pairs="auto"`` on 1M rows x 25 columns against plain ``compare``.

The data are the benchmark's usual 20 numeric + 5 categorical columns (``_data_gen``),
with ten of them made to depend on others (a numeric column on its neighbour, a
categorical on a numeric one), so that ``pairs="auto"`` finds its default ten pairs — on
the independent columns alone it keeps none and costs only the ranking.

Phases, each best of ``--repeat`` (wall seconds, CPU seconds):

* ``profile``: ``kd.profile(ref)`` and ``kd.profile(ref, pairs="auto")``, the ranking of all
  300 pairs on a 50,000-row sample plus the count of the ten kept on every row;
* ``compare``: ``kd.compare(prof, cur)`` with a profile without pairs, and with the
  ``pairs="auto"`` profile (its ten pairs counted and scored);
* ``compare from frames``: ``kd.compare(ref, cur)`` and ``kd.compare(ref, cur, pairs="auto")``,
  profiling included: the figure the issue's target (at most +50%) is about.

The target is on CPU seconds (``added cpu``): on the shared 2-core machine wall time
follows the other processes' load.

    python benchmarks/bench_pairs.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import _data_gen as gen  # noqa: E402

REF_SEED, CUR_SEED = 1, 2


def related(n: int, seed: int) -> pd.DataFrame:
    """The benchmark frame with ten columns tied to others (same names and dtypes)."""
    df = gen.frame(n, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for j in range(0, 16, 2):
        # num_(j+1) follows num_j: rank-preserving noise keeps each column's own kind.
        a, b = f"num_{j:02d}", f"num_{j + 1:02d}"
        order = np.argsort(np.argsort(df[a].to_numpy() + rng.normal(0, df[a].std() * 0.5, n)))
        df[b] = np.sort(df[b].to_numpy())[order]
    for j, source in ((0, "num_16"), (1, "num_17")):
        name = gen.CATEGORICAL[j]
        ranks = np.argsort(np.argsort(df[source].to_numpy() + rng.normal(0, df[source].std(), n)))
        df[name] = df[name].to_numpy()[np.argsort(df[name].to_numpy(), kind="stable")][ranks]
    return df


def timed(job: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = job()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import kl_drift as kd

    warnings.simplefilter("ignore", kd.KlDriftWarning)
    ref, cur = related(args.rows, REF_SEED), related(args.rows, CUR_SEED)
    print(f"{args.rows:,} rows x {ref.shape[1]} columns each side; load average {os.getloadavg()[0]:.2f} at start")
    rows = []
    plain_wall, plain_cpu, plain = timed(lambda: kd.profile(ref), args.repeat)
    pairs_wall, pairs_cpu, with_pairs = timed(lambda: kd.profile(ref, pairs="auto"), args.repeat)
    rows.append(("profile", plain_wall, plain_cpu, pairs_wall, pairs_cpu))
    print("pairs kept by auto:", ", ".join(f"{a}×{b}" for a, b in (p.columns for p in with_pairs.pairs)))
    a = timed(lambda: kd.compare(plain, cur), args.repeat)
    b = timed(lambda: kd.compare(with_pairs, cur), args.repeat)
    rows.append(("compare (saved profile)", a[0], a[1], b[0], b[1]))
    report = b[2]
    c = timed(lambda: kd.compare(ref, cur), args.repeat)
    d = timed(lambda: kd.compare(ref, cur, pairs="auto"), args.repeat)
    rows.append(("compare from frames", c[0], c[1], d[0], d[1]))
    print(f"{'phase':<26}{'plain wall':>12}{'cpu':>8}{'pairs wall':>12}{'cpu':>8}{'added cpu':>11}{'wall':>7}")
    for name, w0, c0, w1, c1 in rows:
        print(f"{name:<26}{w0:>11.2f}s{c0:>7.3f}s{w1:>11.2f}s{c1:>7.3f}s{(c1 / c0 - 1):>11.0%}{(w1 / w0 - 1):>7.0%}")
    flagged = [k for k, p in report.pairs.items() if p.drifted]
    print(f"pairs flagged (reference and current from the same generator): {flagged}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
