"""Start-up share of ``kl-drift compare`` on a 1M-row Parquet file (issue 11's target: at most 40%).

Usage (from the repository root)::

    python benchmarks/bench_cli_startup.py [--rows 1000000] [--repeat 3]

Writes the shared benchmark table (20 numeric, 5 string columns, ``_data_gen.py``) to a
Parquet file and a profile of a separate 200,000-row reference to JSON (both in a temporary
folder, deleted at the end), then runs, each as a fresh subprocess, best of `--repeat`:

* ``python -c pass``: the interpreter alone;
* ``python -c "import pandas, pyarrow.parquet, scipy.special"``: the floor of any Python
  tool that reads Parquet into pandas and computes p-values;
* ``python -c "import kl_drift.cli"``: kl-drift's start-up (everything it imports before
  it reads an option);
* ``python -c "import kl_drift.cli, kl_drift._schema, scipy.special"``: everything the
  command imports (reading a profile loads pydantic, scoring loads scipy.special);
* ``kl-drift compare`` on a 1,000-row file of the same columns: the command's fixed cost;
* ``kl-drift compare --reference profile.json current.parquet --quiet`` (as
  ``python -m kl_drift``): the whole command.

Prints wall and CPU seconds of each (CPU of the child: user + system, from
``resource.getrusage(RUSAGE_CHILDREN)``), the start-up share (import of ``kl_drift.cli``
over the whole command, wall and CPU), the share of the fixed cost, whether the command
imported pandas (one more run under ``-X importtime``), and the 1-minute load average
before and after (the machine is shared: CPU seconds move less with the load than wall
seconds).

The children run with their bytecode cache in the temporary folder (``PYTHONPYCACHEPREFIX``,
and ``PYTHONDONTWRITEBYTECODE`` unset), each command once before it is timed: kl_drift's
modules are then compiled once, as ``pip install`` compiles them, instead of on every run
(this machine sets ``PYTHONDONTWRITEBYTECODE``; the compile cost 0.1-0.2 s per run).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _run(command: list[str], repeat: int, env: dict[str, str]) -> tuple[float, float]:
    """Best wall and best CPU seconds of `command` run `repeat` times, after one run that
    fills the bytecode cache."""
    subprocess.run(command, capture_output=True, env=env)
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from _data_gen import frame, write_parquet

    import kl_drift as kd

    folder = Path(tempfile.mkdtemp(prefix="bench_cli_startup_"))
    try:
        data = write_parquet(folder / "current.parquet", args.rows, seed=2, drift=True)
        small = write_parquet(folder / "small.parquet", 1_000, seed=2, drift=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", kd.KlDriftWarning)
            kd.profile(frame(200_000, seed=1)).save(folder / "profile.json")
        python = sys.executable
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        compare = [python, "-m", "kl_drift", "compare", "--reference", str(folder / "profile.json")]
        load_before = os.getloadavg()[0]
        rows = [
            ("python -c pass", [python, "-c", "pass"]),
            ("import pandas, pyarrow.parquet, scipy.special", [python, "-c", "import pandas, pyarrow.parquet, scipy.special"]),
            ("import kl_drift.cli (start-up)", [python, "-c", "import kl_drift.cli"]),
            ("+ kl_drift._schema, scipy.special (all imports)", [python, "-c", "import kl_drift.cli, kl_drift._schema, scipy.special"]),
            ("kl-drift compare, 1,000 rows (fixed cost)", [*compare, str(small), "--quiet"]),
            ("kl-drift compare (whole command)", [*compare, str(data), "--quiet"]),
        ]
        results = {label: _run(command, args.repeat, env) for label, command in rows}
        traced = subprocess.run([python, "-X", "importtime", *compare[1:], str(data), "--quiet"], capture_output=True, text=True, env=env)
        pandas_loaded = any(line.split("|")[-1].strip() == "pandas" for line in traced.stderr.splitlines())
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"kl-drift compare on {args.rows:,} rows x 25 columns of Parquet, best of {args.repeat}")
    for label, (wall, cpu) in results.items():
        print(f"  {label:<48} wall {wall:6.2f} s   CPU {cpu:6.2f} s")
    start_wall, start_cpu = results["import kl_drift.cli (start-up)"]
    whole_wall, whole_cpu = results["kl-drift compare (whole command)"]
    fixed_wall, fixed_cpu = results["kl-drift compare, 1,000 rows (fixed cost)"]
    print(f"  start-up share: wall {start_wall / whole_wall:.0%}, CPU {start_cpu / whole_cpu:.0%} (target <= 40%)")
    print(f"  fixed-cost share: wall {fixed_wall / whole_wall:.0%}, CPU {fixed_cpu / whole_cpu:.0%}")
    print(f"  the command imported pandas: {'yes' if pandas_loaded else 'no'}")
    print(f"  load average (1 min) before {load_before:.2f}, after {load_after:.2f}; cores {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
