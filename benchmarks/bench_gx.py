"""kl_drift benchmark, section ``gx``: our GE expectation vs GE's built-in KL expectation.

Usage (from the repository root)::

    python benchmarks/bench_gx.py                    # 1M rows; 1 and 10 numeric columns
    python benchmarks/bench_gx.py --rows 200000 --columns 1 --repeat 3

Both expectations check the same current rows against the same reference bins: the 10
quantile bins of a kl_drift profile, given to GE's ``ExpectColumnKLDivergenceToBeLessThan``
as a partition object with open tails (``[-inf, e1, ..., e9, +inf]`` and the reference
weights). Each timing is one ``ValidationDefinition.run`` on a pandas batch, in one
ephemeral context with progress bars off; the cases take turns, and the best and the
median of ``--repeat`` runs are shown. "GE floor" is a run of one trivial built-in expectation (row count), i.e. the
fixed cost of a validation that any expectation pays. Rows are capped at 1M: the point is
the per-validation cost, and the machine is shared.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

MAX_ROWS = 1_000_000


def frames(rows: int, columns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and a slightly shifted current batch, ``columns`` normal columns each."""
    ref_rng, cur_rng = np.random.default_rng(1), np.random.default_rng(2)
    names = [f"x{i}" for i in range(columns)]
    reference = pd.DataFrame({n: ref_rng.normal(0.0, 1.0, rows) for n in names})
    current = pd.DataFrame({n: cur_rng.normal(0.05, 1.0, rows) for n in names})
    return reference, current


def timed(runs: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, float, Any]]:
    """Best and median seconds of `repeat` calls of each run, and its last result.

    The runs take turns (one call each per round, after a warm-up round), so a slow patch
    of a shared machine hits every case alike.
    """
    results = {name: run() for name, run in runs.items()}
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            seconds[name].append(time.perf_counter() - start)
    return {name: (min(s), statistics.median(s), results[name]) for name, s in seconds.items()}


def bench_gx(rows: int, columns: int, repeat: int) -> list[dict[str, Any]]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import kl_drift as kd
    import kl_drift.gx

    reference, current = frames(rows, columns)
    profile = kd.profile(reference, bins=10)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("bench").add_dataframe_asset("batch").add_batch_definition_whole_dataframe("all")
    )
    names = (f"suite_{i}" for i in itertools.count())

    def runner(expectations: list) -> Callable[[], Any]:
        name = next(names)
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        return lambda: definition.run(batch_parameters={"dataframe": current})

    def builtin(column: str) -> Any:
        col = profile[column]
        values = np.asarray(col.counts[:-1], dtype=np.float64)  # no missing values here
        return gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
            column=column,
            partition_object={"bins": [-np.inf, *col.bins.edges, np.inf], "weights": (values / values.sum()).tolist()},
            threshold=0.1,
        )

    ours = [kl_drift.gx.ExpectColumnKlDriftToBeLessThan(column=c, reference=profile[c].to_dict(), threshold=0.1)
            for c in reference.columns]
    cases = [
        ("GE floor (row count)", [gx.expectations.ExpectTableRowCountToBeBetween(min_value=0)]),
        ("kl_drift column expectation", ours),
        ("GE built-in KL expectation", [builtin(c) for c in reference.columns]),
    ]
    if columns > 1:
        cases.insert(2, ("kl_drift table expectation", [
            kl_drift.gx.ExpectTableKlDriftToBeLessThan(reference=profile.to_dict(), threshold=0.1)
        ]))
    timings = timed({label: runner(expectations) for label, expectations in cases}, repeat)
    return [
        {"case": label, "best": best, "median": median, "observed": [r.result.get("observed_value") for r in result.results]}
        for label, (best, median, result) in timings.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=MAX_ROWS)
    parser.add_argument("--columns", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    if not 0 < args.rows <= MAX_ROWS:
        parser.error(f"--rows must be between 1 and {MAX_ROWS:,}")

    import great_expectations as gx

    print(f"## gx: kl_drift vs GE {gx.__version__} built-in KL, {args.rows:,} rows, pandas, "
          f"{platform.python_implementation()} {platform.python_version()}")
    for columns in args.columns:
        results = bench_gx(args.rows, columns, args.repeat)
        print(f"\n{columns} numeric column(s), 10 quantile bins each; seconds per validation run")
        floor = results[0]["best"]
        print(f"{'case':<30} {'best':>8} {'median':>8} {'above floor':>12}  observed value(s)")
        for row in results:
            shown = ", ".join(f"{v:.6f}" for v in row["observed"][:3] if isinstance(v, float))
            more = " ..." if len(row["observed"]) > 3 else ""
            print(f"{row['case']:<30} {row['best']:>8.3f} {row['median']:>8.3f} {row['best'] - floor:>12.3f}  {shown}{more}")
        by_case = {row["case"]: row["best"] for row in results}
        builtin = by_case["GE built-in KL expectation"]
        for ours in ("kl_drift column expectation", "kl_drift table expectation"):
            if ours in by_case:
                mine = by_case[ours]
                print(f"ratio GE built-in / {ours}: {builtin / mine:.2f} "
                      f"(above the floor: {(builtin - floor) / max(mine - floor, 1e-9):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
