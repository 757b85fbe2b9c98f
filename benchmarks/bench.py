"""kl_drift benchmark: profile and compare vs hand-written numpy floors, and Parquet streaming.

Usage (from the repository root)::

    python benchmarks/bench.py                      # 1M rows x (20 numeric + 5 categorical), in memory
    python benchmarks/bench.py --rows 10000000      # 10M rows
    python benchmarks/bench.py --parquet --rows 40000000   # streaming from two 5.6 GB Parquet files

Every phase runs in a fresh subprocess of this script, so each peak RSS is its own. Inside
the subprocess the data is built first, then the peak is reset (``/proc/self/clear_refs``)
and the timed job runs; ``peak RSS`` is ``getrusage().ru_maxrss`` after the job, i.e. the
data held plus everything the job allocated on top. Parquet files go to
``benchmarks/_data/`` (git-ignored) and are deleted at the end unless ``--keep-data``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data_gen as gen  # noqa: E402
import _floors as floors  # noqa: E402

DATA_DIR = HERE / "_data"
REF_SEED, CUR_SEED = 1, 2


# --------------------------------------------------------------------------- measuring


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(job: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall-clock seconds, and CPU seconds (all threads) of that run."""
    best, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        result = job()
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, cpu = elapsed, _cpu_seconds() - start_cpu
    return best, cpu, result


def _measure(job: Callable[[], Any], repeat: int, data_bytes: int, **extra: Any) -> tuple[dict[str, Any], Any]:
    import gc

    gc.collect()
    reset = _reset_peak()
    baseline = _rss_bytes()
    seconds, cpu, result = _timed(job, repeat)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_average": os.getloadavg()[0],
        "peak_rss": _peak_bytes(),
        "baseline_rss": baseline,
        "data_bytes": data_bytes,
        "peak_reset": reset,
        **extra,
    }, result


def _frame_bytes(df: pd.DataFrame) -> int:
    return int(df.memory_usage(deep=True, index=False).sum())


# --------------------------------------------------------------------------- in-memory phases


def _paths(rows: int) -> dict[str, Path]:
    return {
        "profile": DATA_DIR / f"bench_profile_{rows}.json",
        "counts": DATA_DIR / f"bench_current_counts_{rows}.json",
    }


def phase_profile(args: argparse.Namespace) -> dict[str, Any]:
    import kl_drift as kd

    df = gen.frame(args.rows, seed=REF_SEED)
    stats, prof = _measure(lambda: kd.profile(df), args.repeat, _frame_bytes(df))
    prof.save(_paths(args.rows)["profile"])
    return stats


def phase_compare(args: argparse.Namespace) -> dict[str, Any]:
    import kl_drift as kd

    prof = kd.ReferenceProfile.load(_paths(args.rows)["profile"])
    df = gen.frame(args.rows, seed=CUR_SEED, drift=True)
    stats, report = _measure(lambda: kd.compare(prof, df), args.repeat, _frame_bytes(df))
    counts = {c.column: list(c.current_counts) for c in report.columns}
    _paths(args.rows)["counts"].write_text(json.dumps(counts))
    stats["drifted_columns"] = list(report.drifted_columns)
    return stats


def _floor_profile(args: argparse.Namespace, *, fast: bool) -> dict[str, Any]:
    import kl_drift as kd

    df = gen.frame(args.rows, seed=REF_SEED)
    stats, result = _measure(
        lambda: floors.profile(df, gen.NUMERIC, gen.CATEGORICAL, fast=fast, threads=args.threads),
        args.repeat,
        _frame_bytes(df),
    )
    # The floor must do the same job: its edges and counts equal kl_drift's.
    prof = kd.ReferenceProfile.load(_paths(args.rows)["profile"])
    specs = {c: prof[c].bins for c in gen.NUMERIC}
    stats["same_result_as_kl_drift"] = all(
        np.array_equal(np.asarray(result[c][0], dtype=float), np.asarray(spec.edges, dtype=float))
        and np.array_equal(result[c][1], np.asarray(prof[c].counts[:-1]))
        for c, spec in specs.items()
        if isinstance(spec, kd.NumericBins)
    )
    return stats


def _floor_compare(args: argparse.Namespace, *, fast: bool) -> dict[str, Any]:
    import kl_drift as kd

    prof = kd.ReferenceProfile.load(_paths(args.rows)["profile"])
    specs = {c: prof[c].bins for c in gen.COLUMNS}
    edges = {c: np.asarray(b.edges) for c, b in specs.items() if isinstance(b, kd.NumericBins)}
    categories = {c: list(b.categories) for c, b in specs.items() if c in gen.CATEGORICAL and isinstance(b, kd.CategoricalBins)}
    df = gen.frame(args.rows, seed=CUR_SEED, drift=True)
    stats, result = _measure(
        lambda: floors.compare(df, edges, categories, fast=fast, threads=args.threads), args.repeat, _frame_bytes(df)
    )
    expected = json.loads(_paths(args.rows)["counts"].read_text())
    same = all(np.array_equal(result[c], expected[c][: len(result[c])]) for c in edges)
    same &= all(np.array_equal(result[c][:-1], expected[c][: len(categories[c])]) for c in categories)
    stats["same_result_as_kl_drift"] = bool(same)
    return stats


def phase_idle(args: argparse.Namespace) -> dict[str, Any]:
    """RSS of the interpreter with the libraries loaded and no data (compare loads scipy.special)."""
    import pyarrow  # noqa: F401
    import scipy.special  # noqa: F401

    import kl_drift  # noqa: F401

    return {"rss": _rss_bytes()}


PHASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "idle": phase_idle,
    "profile": phase_profile,
    "compare": phase_compare,
    "naive_profile": lambda a: _floor_profile(a, fast=False),
    "naive_compare": lambda a: _floor_compare(a, fast=False),
    "fast_profile": lambda a: _floor_profile(a, fast=True),
    "fast_compare": lambda a: _floor_compare(a, fast=True),
}


# --------------------------------------------------------------------------- streaming phases


def _parquet_paths(rows: int) -> dict[str, Path]:
    return {
        "reference": DATA_DIR / f"reference_{rows}.parquet",
        "current": DATA_DIR / f"current_{rows}.parquet",
        "profile": DATA_DIR / f"stream_profile_{rows}.json",
    }


def phase_write_parquet(args: argparse.Namespace) -> dict[str, Any]:
    paths = _parquet_paths(args.rows)
    start = time.perf_counter()
    for key, seed, drift in (("reference", REF_SEED, False), ("current", CUR_SEED, True)):
        if not paths[key].exists():
            gen.write_parquet(paths[key], args.rows, seed=seed, drift=drift)
    return {
        "seconds": time.perf_counter() - start,
        "reference_bytes": paths["reference"].stat().st_size,
        "current_bytes": paths["current"].stat().st_size,
        "peak_rss": _peak_bytes(),
    }


def _file_bytes(path: Path) -> int:
    return path.stat().st_size


def _read_dataset(path: Path, batch_size: int, to_pandas: bool) -> int:
    """pyarrow.dataset's scanner with its default read-ahead, touching nothing (or converting)."""
    import pyarrow.dataset as ds

    rows = 0
    for batch in ds.dataset(path, format="parquet").to_batches(columns=gen.COLUMNS, batch_size=batch_size):
        rows += len(batch.to_pandas()) if to_pandas else batch.num_rows
    return rows


def _read_file(path: Path, batch_size: int, to_pandas: bool) -> int:
    """pyarrow.parquet's batch reader, page by page (what kl_drift.dataset uses)."""
    import pyarrow.parquet as pq

    rows = 0
    reader = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
    for batch in reader.iter_batches(batch_size=batch_size, columns=gen.COLUMNS):
        rows += len(batch.to_pandas()) if to_pandas else batch.num_rows
    return rows


def _read_file_dictionary(path: Path, batch_size: int, to_pandas: bool) -> int:
    """The same batch reader, with the string columns read as dictionaries (as kl_drift.dataset
    reads the columns it counts by value): pyarrow's fastest read of these columns."""
    import pyarrow.parquet as pq

    strings = [c for c in gen.CATEGORICAL if c != gen.CATEGORY_DTYPE_COLUMN]
    rows = 0
    reader = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False, read_dictionary=strings)
    for batch in reader.iter_batches(batch_size=batch_size, columns=gen.COLUMNS):
        rows += len(batch.to_pandas()) if to_pandas else batch.num_rows
    return rows


def _read_phase(args: argparse.Namespace, reader: Callable[[Path, int, bool], int], to_pandas: bool) -> dict[str, Any]:
    path = _parquet_paths(args.rows)["reference"]
    stats, rows = _measure(lambda: reader(path, args.batch_size, to_pandas), args.repeat, 0)
    stats["rows_read"] = rows
    stats["file_bytes"] = _file_bytes(path)
    return stats


def phase_stream_profile(args: argparse.Namespace) -> dict[str, Any]:
    from kl_drift.dataset import profile_dataset

    paths = _parquet_paths(args.rows)
    stats, prof = _measure(lambda: profile_dataset(paths["reference"], batch_size=args.batch_size), args.repeat, 0)
    prof.save(paths["profile"])
    stats["file_bytes"] = _file_bytes(paths["reference"])
    return stats


def phase_stream_compare(args: argparse.Namespace) -> dict[str, Any]:
    import kl_drift as kd
    from kl_drift.dataset import compare_dataset

    paths = _parquet_paths(args.rows)
    prof = kd.ReferenceProfile.load(paths["profile"])
    stats, report = _measure(lambda: compare_dataset(prof, paths["current"], batch_size=args.batch_size), args.repeat, 0)
    stats["file_bytes"] = _file_bytes(paths["current"])
    stats["drifted_columns"] = list(report.drifted_columns)
    return stats


STREAM_PHASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "write_parquet": phase_write_parquet,
    "read_dataset": lambda a: _read_phase(a, _read_dataset, False),
    "read_file": lambda a: _read_phase(a, _read_file, False),
    "read_file_pandas": lambda a: _read_phase(a, _read_file, True),
    "read_file_dictionary": lambda a: _read_phase(a, _read_file_dictionary, False),
    "stream_profile": phase_stream_profile,
    "stream_compare": phase_stream_compare,
}


# --------------------------------------------------------------------------- driver


def machine() -> str:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        model = fields.get("Model name", model).strip()
        if "CPU family" in fields:
            model += f" (family {fields['CPU family'].strip()}, model {fields.get('Model', '?').strip()})"
    except (OSError, subprocess.CalledProcessError):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import pyarrow

    openblas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    return (
        f"CPU: {model}, {os.cpu_count()} cores; memory {mem:.1f} GiB; {platform.platform()}; "
        f"load average {os.getloadavg()[0]:.2f} (other users' jobs share these cores)\n"
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"pyarrow {pyarrow.__version__}\n"
        f"OPENBLAS env {openblas or 'unset'} (no BLAS in these jobs: sorting, comparisons, hashing)"
    )


def _run_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--rows", str(args.rows),
           "--repeat", str(args.repeat), "--threads", str(args.threads), "--batch-size", str(args.batch_size)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {name} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mb(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def _print_row(label: str, stats: dict[str, Any], rows: int) -> None:
    rate = rows / stats["seconds"]
    extra = ""
    if stats.get("data_bytes"):
        extra = f"  peak/data {stats['peak_rss'] / stats['data_bytes']:.2f}x"
    if "same_result_as_kl_drift" in stats:
        extra += f"  same result: {'yes' if stats['same_result_as_kl_drift'] else 'NO'}"
    print(
        f"{label:32s} {stats['seconds']:7.3f} s (cpu {stats['cpu_seconds']:6.2f} s) {rate / 1e6:7.2f} M rows/s  "
        f"peak RSS {_mb(stats['peak_rss']):>10s} (before {_mb(stats['baseline_rss'])}){extra}"
    )


def run_in_memory(args: argparse.Namespace) -> None:
    DATA_DIR.mkdir(exist_ok=True)
    rows = args.rows
    results = {name: _run_phase(name, args) for name in ("idle", "profile", "compare")}
    results["naive_profile"] = _run_phase("naive_profile", args)
    results["naive_compare"] = _run_phase("naive_compare", args)
    one = argparse.Namespace(**{**vars(args), "threads": 1})
    results["fast_profile_1t"] = _run_phase("fast_profile", one)
    results["fast_compare_1t"] = _run_phase("fast_compare", one)
    two = argparse.Namespace(**{**vars(args), "threads": 2})
    results["fast_profile_2t"] = _run_phase("fast_profile", two)
    results["fast_compare_2t"] = _run_phase("fast_compare", two)

    data = results["profile"]["data_bytes"]
    print(f"\n{rows:,} rows x {len(gen.NUMERIC)} numeric + {len(gen.CATEGORICAL)} categorical columns; "
          f"reference DataFrame {_mb(data)}, current {_mb(results['compare']['data_bytes'])}; "
          f"best of {args.repeat} run(s) per phase, each phase in a fresh process\n")
    labels = {
        "profile": "kd.profile(df)",
        "compare": "kd.compare(profile, df)",
        "naive_profile": f"naive floor profile ({args.threads} thr)",
        "naive_compare": f"naive floor compare ({args.threads} thr)",
        "fast_profile_1t": "fast floor profile (1 thread)",
        "fast_compare_1t": "fast floor compare (1 thread)",
        "fast_profile_2t": "fast floor profile (2 threads)",
        "fast_compare_2t": "fast floor compare (2 threads)",
    }
    for key, label in labels.items():
        _print_row(label, results[key], rows)
    print()
    for job in ("profile", "compare"):
        for clock in ("seconds", "cpu_seconds"):
            mine = results[job][clock]
            print(
                f"kd.{job} / floor ({'wall' if clock == 'seconds' else 'cpu'}): "
                f"naive {mine / results[f'naive_{job}'][clock]:.2f}x, "
                f"fast 1 thread {mine / results[f'fast_{job}_1t'][clock]:.2f}x, "
                f"fast 2 threads {mine / results[f'fast_{job}_2t'][clock]:.2f}x"
            )
    idle = results["idle"]["rss"]
    print(f"\ninterpreter with numpy/pandas/pyarrow/kl_drift imported: {_mb(idle)} RSS")
    for job in ("profile", "compare"):
        stats = results[job]
        print(f"kd.{job}: peak RSS - interpreter = {_mb(stats['peak_rss'] - idle)} = "
              f"{(stats['peak_rss'] - idle) / stats['data_bytes']:.2f}x its DataFrame ({_mb(stats['data_bytes'])})")
    print(f"drifted columns: {results['compare']['drifted_columns']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "machine": machine(), "results": results}, indent=1))


def run_streaming(args: argparse.Namespace) -> None:
    DATA_DIR.mkdir(exist_ok=True)
    # float64 barely compresses: ~8 bytes per numeric value, ~2 per dictionary-encoded category.
    estimate = args.rows * (8 * len(gen.NUMERIC) + 2 * len(gen.CATEGORICAL)) * 2
    free = shutil.disk_usage(DATA_DIR).free
    if estimate * 1.2 > free:
        raise SystemExit(f"need ~{_mb(estimate)} of disk for the two files, only {_mb(free)} free")
    try:
        written = _run_phase("write_parquet", args)
        print(f"\nwrote {_mb(written['reference_bytes'])} reference + {_mb(written['current_bytes'])} current "
              f"Parquet ({args.rows:,} rows each) in {written['seconds']:.0f} s; batch size {args.batch_size:,} rows\n")
        names = ("read_dataset", "read_file", "read_file_pandas", "read_file_dictionary", "stream_profile",
                 "stream_compare")
        results = {name: _run_phase(name, args) for name in names}
    finally:
        if not args.keep_data:
            for path in _parquet_paths(args.rows).values():
                path.unlink(missing_ok=True)
    for key, label in (
        ("read_dataset", "pyarrow.dataset scan (defaults)"),
        ("read_file", "pyarrow.parquet iter_batches"),
        ("read_file_pandas", "iter_batches + to_pandas"),
        ("read_file_dictionary", "iter_batches, strings as dictionary"),
        ("stream_profile", "profile_dataset (2 passes)"),
        ("stream_compare", "compare_dataset (1 pass)"),
    ):
        stats = results[key]
        print(f"{label:34s} {stats['seconds']:7.2f} s (cpu {stats['cpu_seconds']:6.2f} s) "
              f"{args.rows / stats['seconds'] / 1e6:6.2f} M rows/s  "
              f"{written['reference_bytes'] / stats['seconds'] / 2**20:7.0f} MiB/s of file  "
              f"peak RSS {_mb(stats['peak_rss']):>9s}")
    for label, keys in (("the faster default pyarrow read", ("read_dataset", "read_file")),
                        ("pyarrow's read with strings as dictionaries", ("read_file_dictionary",))):
        for clock in ("seconds", "cpu_seconds"):
            read = min(results[k][clock] for k in keys)
            print(f"vs {label} of the same 25 columns ({'wall' if clock == 'seconds' else 'cpu'} {read:.2f} s): "
                  f"profile_dataset / (2 x read) = {results['stream_profile'][clock] / (2 * read):.2f}x, "
                  f"compare_dataset / read = {results['stream_compare'][clock] / read:.2f}x")
    print(f"drifted columns: {results['stream_compare']['drifted_columns']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": args.rows, "machine": machine(), "written": written,
                                               "results": results}, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per table (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per phase; the best is shown")
    parser.add_argument("--threads", type=int, default=1, help="threads for the naive floor (default 1)")
    parser.add_argument("--parquet", action="store_true", help="benchmark streaming from Parquet files instead")
    parser.add_argument("--batch-size", type=int, default=131_072, help="rows per streamed batch")
    parser.add_argument("--keep-data", action="store_true", help="keep the Parquet files in benchmarks/_data/")
    parser.add_argument("--json", help="also write the raw numbers to this file")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        stats = {**PHASES, **STREAM_PHASES}[args.phase](args)
        print(json.dumps(stats))
        return 0
    print(machine())
    if args.parquet:
        run_streaming(args)
    else:
        run_in_memory(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
