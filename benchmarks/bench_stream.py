"""Streaming: ``kd.compare_dataset`` next to pyarrow's own read of the same Parquet files.

Usage (from the repository root)::

    python benchmarks/bench_stream.py                   # writes ~5.2 GB of Parquet, then measures
    python benchmarks/bench_stream.py --gib 1 --repeat 2

The current table (25 columns: 20 numeric, 5 strings, :mod:`_data_gen`) is written as a set
of Parquet files of ``--file-rows`` rows each until the set holds ``--gib`` GiB; the profile is
fitted on 1M reference rows in memory. Then, each in a fresh process (so each peak RSS is
its own; the files sit in the page cache for all of them alike), in turns so that a change
in the machine's load hits all of them:

* ``read_dictionary``: ``pyarrow.parquet.ParquetFile.iter_batches`` over every file, strings
  read as dictionaries (``read_dictionary``): the floor compare_dataset is held against;
* ``read_plain``: the same without ``read_dictionary`` (strings decoded per row);
* ``compare``: ``kd.compare_dataset(profile, folder)``, with the default path (numba loads when
  the job is large enough and numba is installed) and with ``KL_DRIFT_NO_NUMBA=1``;
* ``compare_before`` (with ``--before DIR``): the same, default path, with the ``kl_drift``
  package found in DIR first (e.g. ``git archive <commit> kl_drift | tar -x -C DIR``), so
  that a change is measured against the code before it in the same session.

Printed per phase: wall seconds, CPU seconds (all threads; the machine may be shared: CPU
seconds are the fairer figure), peak RSS, load average. The files are deleted at the end
unless ``--keep-data``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BATCH_SIZE = 131_072


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss() -> int:
    """This process's peak RSS: VmHWM (ru_maxrss would carry the parent's peak over exec)."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def _files(folder: Path) -> list[Path]:
    return sorted((folder / "data").glob("*.parquet"))


def phase_read(folder: Path, dictionary: bool) -> dict[str, Any]:
    import _data_gen as gen
    import pyarrow.parquet as pq

    strings = [c for c in gen.CATEGORICAL if c != gen.CATEGORY_DTYPE_COLUMN] if dictionary else None
    start, start_cpu = time.perf_counter(), _cpu()
    rows = 0
    for path in _files(folder):
        reader = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False, read_dictionary=strings)
        for batch in reader.iter_batches(batch_size=BATCH_SIZE, columns=gen.COLUMNS):
            rows += batch.num_rows
    return {"seconds": time.perf_counter() - start, "cpu_seconds": _cpu() - start_cpu, "rows": rows}


def phase_compare(folder: Path) -> dict[str, Any]:
    import kl_drift as kd
    from kl_drift._core import kernels

    prof = kd.ReferenceProfile.load(folder / "profile.json")
    start, start_cpu = time.perf_counter(), _cpu()
    report = kd.compare_dataset(prof, folder / "data", batch_size=BATCH_SIZE)
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": _cpu() - start_cpu,
        "rows": report.n_current,
        "numba": kernels.ready(),
        "package": str(Path(kd.__file__).parent),
        "report": {c.column: [c.statistic, list(c.current_counts)] for c in report.columns},
    }


def write(folder: Path, gib: float, file_rows: int) -> dict[str, Any]:
    import _data_gen as gen

    import kl_drift as kd

    start = time.perf_counter()
    kd.profile(gen.frame(1_000_000, seed=1)).save(folder / "profile.json")
    total, index = 0, 0
    while total < gib * 2**30:
        path = folder / "data" / f"part-{index:04d}.parquet"
        gen.write_parquet(path, file_rows, seed=2 + index, drift=True)
        total += path.stat().st_size
        index += 1
    return {"seconds": time.perf_counter() - start, "bytes": total, "files": index, "rows": index * file_rows}


def _phase(name: str, folder: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", name, "--folder", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {name} failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_average"] = os.getloadavg()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gib", type=float, default=5.0, help="size of the Parquet file set (default 5 GiB)")
    parser.add_argument("--file-rows", type=int, default=4_000_000, help="rows per file")
    parser.add_argument("--repeat", type=int, default=2, help="turns of all phases; the best of each is shown")
    parser.add_argument("--dir", default=None, help="where to write the files (default: a temporary folder)")
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--json", help="also write the raw numbers to this file")
    parser.add_argument("--before", help="a folder holding another kl_drift package, compared too (compare_before)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        folder = Path(args.folder)
        job = {"read_dictionary": lambda: phase_read(folder, True), "read_plain": lambda: phase_read(folder, False),
               "compare": lambda: phase_compare(folder)}[args.phase]  # fmt: skip
        result = job()
        result["peak_rss"] = _peak_rss()
        print(json.dumps(result))
        return 0
    from bench import machine

    print(machine())
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="kl_drift_stream_"))
    folder.mkdir(parents=True, exist_ok=True)
    need = args.gib * 2**30 * 1.1
    if shutil.disk_usage(folder).free < need:
        raise SystemExit(f"need {need / 2**30:.1f} GiB free in {folder}")
    try:
        written = write(folder, args.gib, args.file_rows) if not _files(folder) else {
            "seconds": 0.0, "bytes": sum(p.stat().st_size for p in _files(folder)), "files": len(_files(folder)), "rows": None}  # fmt: skip
        print(f"\n{written['files']} Parquet files, {written['bytes'] / 2**30:.2f} GiB in {folder} "
              f"(written in {written['seconds']:.0f} s); batch size {BATCH_SIZE:,} rows")  # fmt: skip
        phases = {"read_dictionary": {}, "read_plain": {}, "compare": {}, "compare_numpy": {"KL_DRIFT_NO_NUMBA": "1"}}
        if args.before:
            before = str(Path(args.before).resolve())
            phases["compare_before"] = {"PYTHONPATH": os.pathsep.join(filter(None, [before, os.environ.get("PYTHONPATH")]))}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in phases}
        for _ in range(args.repeat):
            for name, env in phases.items():
                runs[name].append(_phase(name.removesuffix("_numpy").removesuffix("_before"), folder, env))
    finally:
        if not args.keep_data:
            shutil.rmtree(folder, ignore_errors=True)
    best = {name: min(r, key=lambda x: x["cpu_seconds"]) for name, r in runs.items()}
    reports = {name: r.pop("report") for name, r in best.items() if "report" in r}
    same = reports["compare"] == reports["compare_numpy"]
    rows = best["read_dictionary"]["rows"]
    floor = best["read_dictionary"]
    print(f"\n{rows:,} rows x 25 columns, best of {args.repeat} by CPU:")
    for name, r in best.items():
        print(f"  {name:16s} wall {r['seconds']:7.2f} s  cpu {r['cpu_seconds']:7.2f} s  "
              f"cpu/floor {r['cpu_seconds'] / floor['cpu_seconds']:5.2f}x  wall/floor {r['seconds'] / floor['seconds']:5.2f}x  "
              f"peak RSS {r['peak_rss'] / 2**20:6,.0f} MiB  load {r['load_average']:.2f}"
              + (f"  numba {'on' if r['numba'] else 'off'}" if "numba" in r else ""))  # fmt: skip
    print(f"compare_dataset reports identical with and without numba: {'yes' if same else 'NO'}")
    if "compare_before" in reports:
        print(
            f"compare_dataset reports identical to the code in --before: {'yes' if reports['compare_before'] == reports['compare'] else 'NO'}"
        )
    for name, r in best.items():
        if "package" in r:
            print(f"  {name} ran the kl_drift of {r['package']}")
    for name, r in runs.items():
        print(f"  all runs {name}: " + ", ".join(f"{x['seconds']:.2f} s / cpu {x['cpu_seconds']:.2f} s" for x in r))
    if args.json:
        Path(args.json).write_text(json.dumps({"written": written, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
