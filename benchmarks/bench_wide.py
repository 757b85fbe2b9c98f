"""Per-column fixed cost of a compare: many narrow columns, split into counting and scoring.

Usage (from the repository root)::

    python benchmarks/bench_wide.py                      # 16,000 numeric columns x 1,000 rows
    python benchmarks/bench_wide.py --columns 4000 --categorical 0.25 --repeat 3
    python benchmarks/bench_wide.py --cprofile 25        # top 25 functions of scoring

Prints CPU seconds (the machine is shared: CPU, not wall time, is what a change moves) for
``kd.count`` (the pandas engine), scoring the counts (``score_table``; also its first call on
a freshly loaded profile, before the bin labels are cached on it) and the whole
``kd.compare``, the per-column milliseconds of each, and the 1-minute load average before
and after. The profile is saved and reloaded first, as a monitoring job would use it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best_cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        # Each call starts from a collected heap: the cyclic collector's passes over earlier
        # calls' results would otherwise land in this one.
        gc.collect()
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=16_000)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--categorical", type=float, default=0.0, help="share of string columns (20 categories)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cprofile", type=int, default=0, help="print the top N functions of scoring by cumulative time")
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    import kl_drift as kd
    from kl_drift._engines import pandas as engine
    from kl_drift._options import CompareOptions
    from kl_drift._scoring import score_table

    load_before = os.getloadavg()
    rng = np.random.default_rng(0)
    n_cat = int(args.columns * args.categorical)
    names = [f"c{i}" for i in range(args.columns)]
    reference = pd.DataFrame(rng.normal(size=(args.rows, args.columns)), columns=names)
    current = pd.DataFrame(rng.normal(0.01, 1.0, size=(args.rows, args.columns)), columns=names)
    if n_cat:
        letters = np.array([f"v{i}" for i in range(20)], dtype=object)
        for name in names[:n_cat]:
            reference[name] = letters[rng.integers(0, 20, args.rows)]
            current[name] = letters[rng.integers(0, 21, args.rows) % 20]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        saved = kd.profile(reference).to_dict()
        prof = kd.ReferenceProfile.from_dict(saved)
        table = engine.count(prof, current)
        opts = CompareOptions.resolve()
        # A freshly loaded profile, as a one-shot `kl-drift compare` sees it: labels not yet
        # cached on its bin specs (loading it is timed apart and taken off).
        first = _best_cpu(lambda: score_table(kd.ReferenceProfile.from_dict(saved), table, opts), 1)
        first -= _best_cpu(lambda: kd.ReferenceProfile.from_dict(saved), 1)
        count = _best_cpu(lambda: engine.count(prof, current), args.repeat)
        score = _best_cpu(lambda: score_table(prof, table, opts), args.repeat)
        compare = _best_cpu(lambda: kd.compare(prof, current), args.repeat)
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.runcall(score_table, prof, table, opts)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)
    load_after = os.getloadavg()
    per = 1000 / args.columns
    print(f"{args.columns:,} columns x {args.rows:,} rows ({n_cat:,} categorical), best of {args.repeat}, CPU seconds")
    print(f"  count   {count:7.3f} s  {count * per:6.3f} ms/column")
    print(f"  score   {score:7.3f} s  {score * per:6.3f} ms/column (first on a loaded profile {first:.3f} s)")
    print(f"  compare {compare:7.3f} s  {compare * per:6.3f} ms/column")
    print(f"  load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; cores {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
