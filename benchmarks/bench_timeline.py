"""A year of daily periods against one `kd.compare` of the same rows (not a timed test).

The issue's target: 10M rows x 25 columns with a timestamp over one year, ``freq="D"``
(365 periods): the whole timeline within 2x of a single ``kd.compare(profile, df)`` of the
same rows. The columns are the shared benchmark columns (20 numeric, 5 categorical, see
``_data_gen.py``), plus a timestamp spread evenly over 2024. The profile is fitted on a
separate reference frame of the same distributions and given to both calls, so the timings
are counting and scoring only. Prints wall and CPU seconds of both, their ratio, peak RSS,
and the load average (the development machine is shared).

    python benchmarks/bench_timeline.py [--rows 2000000] [--freq D] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from _data_gen import frame  # noqa: E402

import kl_drift as kd  # noqa: E402


def timed(job, repeat: int) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        job()
        best_wall = min(best_wall, time.perf_counter() - wall0)
        best_cpu = min(best_cpu, time.process_time() - cpu0)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--freq", default="D")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    reference = frame(200_000, seed=1)
    data = frame(args.rows, seed=2, drift=True)
    start = np.datetime64("2024-01-01T00:00:00", "ns").astype(np.int64)
    span = 366 * 86_400 * 10**9
    data.insert(0, "event_time", pd.to_datetime(start + np.arange(args.rows, dtype=np.int64) * (span // args.rows)))
    prof = kd.profile(reference)
    columns = list(prof.names)

    one_wall, one_cpu = timed(lambda: kd.compare(prof, data, columns=columns), args.repeat)
    result: list[kd.Timeline] = []
    tl_wall, tl_cpu = timed(
        lambda: result.append(kd.compare_over_time(data, time_column="event_time", freq=args.freq, reference=prof)),
        args.repeat,
    )
    timeline = result[-1]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB on Linux
    print(f"rows={args.rows:,} columns={len(columns)} freq={args.freq} periods={len(timeline.periods)} "
          f"(~{args.rows // max(len(timeline.periods), 1):,} rows each)")  # fmt: skip
    print(f"kd.compare (one report):        wall {one_wall:7.2f} s  cpu {one_cpu:7.2f} s")
    print(f"kd.compare_over_time (timeline): wall {tl_wall:7.2f} s  cpu {tl_cpu:7.2f} s")
    print(f"ratio timeline / compare:        wall {tl_wall / one_wall:5.2f}x  cpu {tl_cpu / one_cpu:5.2f}x")
    print(f"peak RSS {peak:.2f} GiB · load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
