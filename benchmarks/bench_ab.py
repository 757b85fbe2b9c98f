"""The 25-column compare of bench.py, this tree against an older checkout, in one run.

Usage (from the repository root)::

    git worktree add --detach /tmp/old <commit>
    python benchmarks/bench_ab.py --old /tmp/old [--rows 1000000] [--repeat 5] [--string-kernel on|off]

Each measurement is a fresh interpreter that imports kl_drift from one of the two trees
(``PYTHONPATH``, run from a neutral folder), builds the benchmark table of ``_data_gen.py``
(20 numeric and 5 string columns; reference seed 1, current seed 2 with drift), profiles
the reference, runs one untimed comparison (first-call costs: caches, thread pools), and
then times `kd.compare(profile, current)` `--repeat` times, printing the best CPU and wall
seconds (CPU of the process, all threads). The two trees alternate, `--rounds` times, so a
change of load on the shared machine falls on both; the best of all is shown, with the
ratio new / old and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, os, sys, time, warnings
sys.path.insert(0, {bench!r})
import _data_gen as gen
import kl_drift as kd
if {strings!r} is not None:
    from kl_drift._core import kernels
    kernels.COUNT_STRINGS = {strings!r} if hasattr(kernels, "COUNT_STRINGS") else sys.exit("no string kernel in this tree")
assert kd.__file__.startswith({tree!r}), kd.__file__
ref, cur = gen.frame({rows}, seed=1), gen.frame({rows}, seed=2, drift=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    prof = kd.profile(ref)
    kd.compare(prof, cur)
    best_cpu = best_wall = float("inf")
    for _ in range({repeat}):
        c0, w0 = time.process_time(), time.perf_counter()
        report = kd.compare(prof, cur)
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
print(json.dumps([best_cpu, best_wall, report.to_dict()["columns"][0]["statistic"]]))
"""


def _measure(tree: str, rows: int, repeat: int, strings: bool | None = None) -> tuple[float, float, float]:
    code = CHILD.format(bench=str(HERE), tree=tree, rows=rows, repeat=repeat, strings=strings)
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    cpu, wall, statistic = json.loads(done.stdout.strip().splitlines()[-1])
    return cpu, wall, statistic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="the older source tree (a git worktree)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--string-kernel",
        choices=("on", "off"),
        help="set kernels.COUNT_STRINGS in this tree (Arrow string columns by kernels.tally_strings; default: the tree's own)",
    )
    args = parser.parse_args(argv)
    trees = {"old": str(Path(args.old).resolve()), "new": str(HERE.parent)}
    best = {name: [float("inf"), float("inf")] for name in trees}
    statistics = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, tree in trees.items():
            strings = None if args.string_kernel is None or name == "old" else args.string_kernel == "on"
            cpu, wall, statistics[name] = _measure(tree, args.rows, args.repeat, strings)
            best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]
    load_after = os.getloadavg()[0]
    print(f"kd.compare(profile, current), {args.rows:,} rows x 25 columns, best of {args.repeat} x {args.rounds} rounds")
    kernel = args.string_kernel or "default"
    print(f"  KL_DRIFT_NUMBA={os.environ.get('KL_DRIFT_NUMBA', '')!r}, string kernel in the new tree: {kernel}")
    for name, (cpu, wall) in best.items():
        print(f"  {name}: {trees[name]:<24} CPU {cpu:6.3f} s   wall {wall:6.3f} s")
    print(f"  new / old: CPU {best['new'][0] / best['old'][0]:.2f}x, wall {best['new'][1] / best['old'][1]:.2f}x")
    print(f"  first column's statistic: old {statistics['old']!r}, new {statistics['new']!r}")
    print(f"  load average (1 min) before {load_before:.2f}, after {load_after:.2f}; cores {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
