"""Counting kernels and per-column cost: kl_drift next to its floors, in the same run.

Usage (from the repository root)::

    python benchmarks/bench_kernels.py                  # 1M rows x 20 numeric; 16,000 x 1k
    python benchmarks/bench_kernels.py --rows 10000000 --wide-columns 16000

Phases, each in a fresh process (so each peak RSS is its own):

* ``numeric``: ``kd.count`` and ``kd.compare`` of the 20 numeric benchmark columns against
  a saved profile, on the numpy path (``KL_DRIFT_NO_NUMBA=1``) and with the compiled
  kernels (``KL_DRIFT_NUMBA=1``, loaded before timing), next to ``np.sum`` over the same
  columns: the memory-bandwidth floor of reading them once.
* ``wide``: ``kd.compare`` of 16,000 numeric columns x 1,000 rows against a saved profile
  (per-column fixed cost), split into counting and scoring.
* ``startup``: ``import kl_drift``, ``import numba`` and the kernels' first call, with the
  on-disk cache warm and with an empty cache (``NUMBA_CACHE_DIR`` set to a new folder);
  ``scipy.special`` is imported first (scoring imports it in every compare), and the CPU
  of each step and what each imports (``-X importtime`` self time per package) are
  printed: the first call of any kernel runs numba's registries (``BaseContext.refresh``).
  ``--startup-only`` runs this phase alone.
* ``strings``: one Arrow-backed string column of ``--rows`` rows counted by the pandas
  engine's ``_tally`` with the string kernel (``kernels.tally_strings``) and with pandas'
  (Arrow's) ``value_counts``, alternating, best CPU of ``--repeat`` x 3 each; then
  ``kd.count`` of the column against a profile of it both ways. Columns: the benchmark's four
  Zipf-like ones, labels drawn uniformly (3 to 100,000 of them, short like ``e0001`` and
  35 bytes long), with 10% nulls, and in chunks of 64,000 rows. ``--strings-only`` runs
  this phase alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _best(job: Any, repeat: int) -> dict[str, float]:
    best: dict[str, float] = {"seconds": float("inf"), "cpu_seconds": float("inf")}
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _cpu()
        job()
        wall = time.perf_counter() - start
        if wall < best["seconds"]:
            best = {"seconds": wall, "cpu_seconds": _cpu() - start_cpu}
    return best


def phase_numeric(args: argparse.Namespace) -> dict[str, Any]:
    import _data_gen as gen
    import numpy as np

    import kl_drift as kd
    from kl_drift._core import kernels

    reference = gen.frame(args.rows, seed=1)[gen.NUMERIC]
    current = gen.frame(args.rows, seed=2, drift=True)[gen.NUMERIC]
    prof = kd.ReferenceProfile.from_dict(kd.profile(reference).to_dict())  # as if loaded from a file
    del reference
    columns = [current[c].to_numpy() for c in gen.NUMERIC]
    out: dict[str, Any] = {"floor_sum": _best(lambda: [float(np.sum(x)) for x in columns], args.repeat)}
    if args.path == "numba":
        kernels.prepare(kernels.MIN_VALUES)
        assert kernels.ready(), "numba is not installed (pip install kl-drift[fast])"
    # Untimed first runs: numba's first call per dtype and scipy's first import are paid here.
    kd.compare(prof, current)
    out["count"] = _best(lambda: kd.count(prof, current), args.repeat)
    out["compare"] = _best(lambda: kd.compare(prof, current), args.repeat)
    out["counts"] = {c.name: list(c.counts) for c in kd.count(prof, current)}
    out["peak_rss"] = _peak()
    out["load_average"] = os.getloadavg()[0]
    return out


def phase_wide(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    import kl_drift as kd
    from kl_drift._engines import pandas as engine
    from kl_drift._options import CompareOptions
    from kl_drift._scoring import score_table

    rng = np.random.default_rng(0)
    names = [f"c{i}" for i in range(args.wide_columns)]
    reference = pd.DataFrame(rng.normal(size=(1000, len(names))), columns=names)
    current = pd.DataFrame(rng.normal(0.01, 1.0, size=(1000, len(names))), columns=names)
    prof = kd.ReferenceProfile.from_dict(kd.profile(reference).to_dict())
    table = engine.count(prof, current)
    opts = CompareOptions.resolve()
    score_table(prof, table, opts)
    return {
        "compare": _best(lambda: kd.compare(prof, current), args.repeat),
        "count": _best(lambda: engine.count(prof, current), args.repeat),
        "score": _best(lambda: score_table(prof, table, opts), args.repeat),
        "columns": len(names),
        "peak_rss": _peak(),
        "load_average": os.getloadavg()[0],
    }


_FIRST_CALL = """
import json, resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def mark(name):
    print("MARK " + name, file=sys.stderr, flush=True)
    return cpu()
start = time.perf_counter(); c0 = cpu(); import kl_drift; imported = time.perf_counter() - start
import numpy as np
c1 = mark("scipy.special"); import scipy.special  # scoring imports it in every compare
c2 = mark("import numba"); start = time.perf_counter(); import numba; numba_import = time.perf_counter() - start
from kl_drift._core import kernels
c3 = mark("prepare"); kernels.ready()
x = np.frombuffer(np.array([1.0, 2.0]).tobytes(), dtype=np.float64)  # read-only, as Arrow's buffers
c4 = mark("first call"); start = time.perf_counter()
kernels.count_bins(x, np.array([1.5]))
c5 = mark("int64 and codes")
kernels.count_bins(np.array([1, 2]), np.array([1]))
codes = np.frombuffer(np.array([0, 1], dtype=np.int32).tobytes(), dtype=np.int32)
kernels.count_codes(codes, None, 0, np.zeros(3, dtype=np.int64))
first = time.perf_counter() - start
c6 = mark("end")
cpus = {"import_kl_drift": c1 - c0, "scipy_special": c2 - c1, "import_numba": c3 - c2, "prepare": c4 - c3,
        "first_call": c5 - c4, "int64_and_codes": c6 - c5}
print(json.dumps({"import_kl_drift": imported, "import_numba": numba_import, "first_calls": first, "cpu": cpus}))
"""


def _import_breakdown(stderr: str) -> dict[str, dict[str, float]]:
    """Seconds of ``-X importtime`` self time per top-level package, per marked step."""
    steps: dict[str, dict[str, float]] = {}
    step = None
    for line in stderr.splitlines():
        if line.startswith("MARK "):
            step = line[5:]
            continue
        parts = line.removeprefix("import time:").split("|")
        if step is None or len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        name = parts[2].strip()
        top = "scipy.linalg" if name.startswith("scipy.linalg") else name.split(".")[0]
        per_package = steps.setdefault(step, {})
        per_package[top] = per_package.get(top, 0.0) + int(parts[0]) / 1e6
    return steps


def phase_startup(args: argparse.Namespace) -> dict[str, Any]:
    def run(env: dict[str, str]) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", _FIRST_CALL], capture_output=True, text=True,
                              check=True, env={**os.environ, "KL_DRIFT_NUMBA": "1", **env})  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["imports"] = _import_breakdown(done.stderr)
        return result

    run({})  # fills the on-disk cache
    warm = run({})
    with tempfile.TemporaryDirectory() as empty:
        cold = run({"NUMBA_CACHE_DIR": empty})
    return {"warm": warm, "cold": cold, "load_average": os.getloadavg()[0]}


def _string_columns(rows: int) -> dict[str, Any]:
    import _data_gen as gen
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    current = gen.frame(rows, seed=2, drift=True)
    columns: dict[str, Any] = {f"benchmark {c} (Zipf-like)": current[c] for c in ("cat_0", "cat_1", "cat_3", "cat_4")}
    rng = np.random.default_rng(0)
    for k in (3, 1_000, 100_000):
        for long in (False, True):
            labels = [f"label-{i:06d}-of-a-longer-key-text" if long else f"e{i:04d}" for i in range(k)]
            picks = rng.integers(0, k, rows)
            name = f"{k:,} {'35-byte' if long else 'short'} labels, uniform"
            columns[name] = pd.Series(pd.array(labels, dtype="str").take(picks))
    labels = [f"e{i:04d}" for i in range(1_000)]
    rows_ = [None if m else labels[p] for p, m in zip(rng.integers(0, 1_000, rows), rng.random(rows) < 0.1)]
    columns["1,000 short labels, 10% nulls"] = pd.Series(rows_, dtype="str")
    whole = pa.array(rows_, type=pa.string())
    chunked = pa.chunked_array([whole.slice(a, 64_000) for a in range(0, rows, 64_000)])
    columns["the same in chunks of 64,000 rows"] = pd.Series(pd.arrays.ArrowStringArray(chunked))
    return columns


def phase_strings(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    import kl_drift as kd
    from kl_drift._core import kernels
    from kl_drift._engines import pandas as engine

    kernels.prepare(kernels.MIN_VALUES)
    assert kernels.ready(), "numba is not installed (pip install kl-drift[fast])"
    out: dict[str, Any] = {}
    for name, column in _string_columns(args.rows).items():
        frame = pd.DataFrame({"s": column})
        prof = kd.profile(frame.iloc[: args.rows // 5])
        row: dict[str, Any] = {}
        for job, run in (("tally", partial(engine._tally, column)), ("count", partial(kd.count, prof, frame))):
            best = {"kernel": float("inf"), "arrow": float("inf")}
            results = {}
            for _ in range(3):
                for path in ("arrow", "kernel"):
                    kernels.COUNT_STRINGS = path == "kernel"
                    results[path] = run()
                    best[path] = min(best[path], _best(run, args.repeat)["cpu_seconds"])
            if job == "tally":
                same = [list(map(str, results[p][0])) + results[p][1].tolist() + [results[p][2]] for p in best]
            else:
                same = [[c.counts for c in results[p]] for p in best]
            row[job] = {**best, "same": same[0] == same[1]}
        out[name] = row
    return {"columns": out, "load_average": os.getloadavg()[0]}


PHASES = {"numeric": phase_numeric, "wide": phase_wide, "startup": phase_startup, "strings": phase_strings}


def _run(name: str, args: argparse.Namespace, path: str = "numpy") -> dict[str, Any]:
    env = {**os.environ}
    env.pop("KL_DRIFT_NUMBA", None)
    env.pop("KL_DRIFT_NO_NUMBA", None)
    if name == "numeric":
        env["KL_DRIFT_NUMBA" if path == "numba" else "KL_DRIFT_NO_NUMBA"] = "1"
    if name == "strings":
        env["KL_DRIFT_NUMBA"] = "1"
    cmd = [sys.executable, __file__, "--phase", name, "--path", path, "--rows", str(args.rows),
           "--repeat", str(args.repeat), "--wide-columns", str(args.wide_columns)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(label: str, stats: dict[str, float], rows: int, floor: dict[str, float] | None = None) -> str:
    text = f"{label:40s} {stats['seconds']:8.3f} s  cpu {stats['cpu_seconds']:7.3f} s  {rows / stats['seconds'] / 1e6:8.2f} M rows/s"
    if floor:
        text += f"  cpu / floor {stats['cpu_seconds'] / floor['cpu_seconds']:6.2f}x"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wide-columns", type=int, default=16_000)
    parser.add_argument("--json", help="also write the raw numbers to this file")
    parser.add_argument("--strings-only", action="store_true", help="run the strings phase alone")
    parser.add_argument("--startup-only", action="store_true", help="run the startup phase alone")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--path", default="numpy", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return 0
    from bench import machine

    print(machine())
    if args.startup_only:
        _print_startup(_run("startup", args))
        return 0
    if args.strings_only:
        results = {"strings": _run("strings", args)}
        _print_strings(results["strings"], args)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0
    results = {
        "numpy": _run("numeric", args, "numpy"),
        "numba": _run("numeric", args, "numba"),
        "wide": _run("wide", args),
        "startup": _run("startup", args),
    }
    same = results["numpy"].pop("counts") == results["numba"].pop("counts")
    print(f"\n20 numeric columns x {args.rows:,} rows, compare against a saved profile (best of {args.repeat}):")
    for path in ("numpy", "numba"):
        r = results[path]
        floor = r["floor_sum"]
        print(_row("np.sum over the same columns (floor)", floor, args.rows))
        print(_row(f"kd.count, {path} path", r["count"], args.rows, floor))
        print(_row(f"kd.compare, {path} path", r["compare"], args.rows, floor))
        print(f"{'':40s} peak RSS {r['peak_rss'] / 2**20:,.0f} MiB, load average {r['load_average']:.2f}")
    print(f"counts identical on both paths: {'yes' if same else 'NO'}")
    w = results["wide"]
    print(f"\n{w['columns']:,} numeric columns x 1,000 rows (best of {args.repeat}), load average {w['load_average']:.2f}:")
    for key in ("compare", "count", "score"):
        s = w[key]
        print(f"  {key:8s} {s['seconds']:7.2f} s  cpu {s['cpu_seconds']:7.2f} s  {s['cpu_seconds'] / w['columns'] * 1e3:6.3f} ms CPU per column")
    print(f"  peak RSS {w['peak_rss'] / 2**20:,.0f} MiB")
    _print_startup(results["startup"])
    results["strings"] = _run("strings", args)
    _print_strings(results["strings"], args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


def _print_startup(s: dict[str, Any]) -> None:
    print(f"\nstartup (load average {s['load_average']:.2f}):")
    for key in ("warm", "cold"):
        v = s[key]
        print(f"  numba cache {key}: import kl_drift {v['import_kl_drift']:.2f} s, import numba {v['import_numba']:.2f} s, "
              f"first calls (float64 + int64 + codes) {v['first_calls']:.2f} s")  # fmt: skip
        print("    CPU s: " + ", ".join(f"{step} {seconds:.3f}" for step, seconds in v["cpu"].items()))
        for step in ("import numba", "first call"):
            top = sorted(v["imports"].get(step, {}).items(), key=lambda kv: -kv[1])[:6]
            print(f"    imported by '{step}' (-X importtime self s): " + ", ".join(f"{name} {t:.3f}" for name, t in top))


def _print_strings(result: dict[str, Any], args: argparse.Namespace) -> None:
    load = result["load_average"]
    print(f"\none string column x {args.rows:,} rows, CPU ms, best of {args.repeat} x 3 (load average {load:.2f}):")
    head = ("column", "_tally: Arrow", "kernel", "ratio", "kd.count: Arrow", "kernel", "ratio")
    print("  {:42s} {:>14s} {:>8s} {:>6s}   {:>16s} {:>8s} {:>6s}  same".format(*head))
    for name, row in result["columns"].items():
        t, c = row["tally"], row["count"]
        print(f"  {name:42s} {t['arrow'] * 1e3:14.1f} {t['kernel'] * 1e3:8.1f} {t['kernel'] / t['arrow']:5.2f}x   "
              f"{c['arrow'] * 1e3:16.1f} {c['kernel'] * 1e3:8.1f} {c['kernel'] / c['arrow']:5.2f}x  "
              f"{'yes' if t['same'] and c['same'] else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
