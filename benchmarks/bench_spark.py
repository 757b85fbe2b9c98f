"""Spark benchmark: kl_drift.spark profile and compare next to plain Spark jobs doing the same work.

Usage (from the repository root)::

    python benchmarks/bench_spark.py                  # 10M rows x (20 numeric + 5 categorical), local[2]
    python benchmarks/bench_spark.py --rows 2000000

The reference and current tables of ``_data_gen.py`` are written to Parquet once
(``benchmarks/_data/``, git-ignored; kept for the next run) and read by Spark in local mode.
Each job is run twice in the same session and the second run is reported, so the JIT has
compiled Spark's generated code (the first run of a query shape costs up to twice as much).

Floors, plain Spark written by hand for the same result, with none of kl_drift's checks:

* ``scan``: read every column once (a count per column): no job that reads the data is faster;
* ``count floor``: each column's bin index as a ``CASE WHEN`` over the profile's edges or
  categories, then one ``groupBy`` of the exploded (column, bin) pairs: the same buckets;
* ``profile floor``: one ``approxQuantile`` over the numeric columns, one ``groupBy`` of the
  exploded (column, value) pairs of the categorical columns, then the count floor.

CPU seconds are the JVM's and the Python driver's together; the load average is printed with
each line because the machine may be shared.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _data_gen as gen  # noqa: E402

DATA_DIR = HERE / "_data"


def _jvm_pid() -> int | None:
    me = os.getpid()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            return int(stat.split("/")[2])
    return None


def _cpu_seconds(pid: int | None) -> float:
    own = os.times()
    total = own.user + own.system
    if pid is not None:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _measure(pid: int | None, job: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    for _ in range(repeats):
        start, cpu = time.perf_counter(), _cpu_seconds(pid)
        result = job()
        wall, used = time.perf_counter() - start, _cpu_seconds(pid) - cpu
    return wall, used, result


def _bin_index(F: Any, name: str, spec: Any) -> Any:
    """The plain CASE WHEN a Spark user would write for one column's bins."""
    column = F.col(name)
    if spec.kind == "numeric":
        index = F.when(column.isNull() | F.isnan(column), len(spec.edges) + 1)
        for i, edge in enumerate(spec.edges):
            index = index.when(column <= edge, i)
        return index.otherwise(len(spec.edges))
    index = F.when(column.isNull(), spec.n_bins - 1)
    for i, value in enumerate(spec.categories):
        index = index.when(column == value, i)
    if spec.other_values:
        index = index.when(column.isin(list(spec.other_values)), spec.other_index)
    return index.otherwise(spec.unseen_index)


def count_floor(F: Any, data: Any, prof: Any) -> list[Any]:
    codes, position = [], 0
    for col in prof.columns:
        codes.append(_bin_index(F, col.name, col.bins) + position)
        position += col.bins.n_bins
    return data.select(F.explode(F.array(*codes)).alias("k")).groupBy("k").count().collect()


def profile_floor(F: Any, data: Any, prof: Any) -> Any:
    data.approxQuantile(list(gen.NUMERIC), [j / 10 for j in range(1, 10)], 1e-4)
    pairs = [F.struct(F.lit(i).alias("i"), F.col(n).alias("v")) for i, n in enumerate(gen.CATEGORICAL)]
    data.select(F.explode(F.array(*pairs)).alias("p")).groupBy("p.i", "p.v").count().collect()
    return count_floor(F, data, prof)


def scan(F: Any, data: Any) -> Any:
    return data.agg(*[F.count(c) for c in data.columns]).collect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=2, help="runs per job; the last is reported")
    parser.add_argument("--driver-memory", default="6g")
    args = parser.parse_args(argv)

    reference_path = DATA_DIR / f"spark_reference_{args.rows}.parquet"
    current_path = DATA_DIR / f"spark_current_{args.rows}.parquet"
    for path, seed, drift in ((reference_path, 1, False), (current_path, 2, True)):
        if not path.exists():
            gen.write_parquet(path, args.rows, seed=seed, drift=drift)

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from kl_drift import spark as kds

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("kl_drift-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    pid = _jvm_pid()
    reference = spark.read.parquet(str(reference_path))
    current = spark.read.parquet(str(current_path))

    print(f"# {args.rows:,} rows x {len(gen.COLUMNS)} columns, Spark {spark.version} local[2], best of the warm runs")
    print(f"{'job':34s} {'wall s':>8s} {'cpu s':>8s} {'rows/s':>12s} {'x floor':>8s} {'load 1m':>8s}")

    def line(label: str, wall: float, cpu: float, floor: float | None) -> None:
        ratio = f"{wall / floor:8.2f}" if floor else f"{'':8s}"
        print(f"{label:34s} {wall:8.2f} {cpu:8.2f} {args.rows / wall:12,.0f} {ratio} {os.getloadavg()[0]:8.2f}", flush=True)

    wall, cpu, _ = _measure(pid, lambda: scan(F, reference), args.repeats)
    line("scan reference (read every column)", wall, cpu, None)
    wall, cpu, prof = _measure(pid, lambda: kds.profile(reference), args.repeats)
    profile_wall = (wall, cpu)
    floor_wall, floor_cpu, _ = _measure(pid, lambda: profile_floor(F, reference, prof), args.repeats)
    line("profile floor (plain Spark)", floor_wall, floor_cpu, None)
    line("kds.profile", *profile_wall, floor_wall)

    wall, cpu, _ = _measure(pid, lambda: scan(F, current), args.repeats)
    line("scan current (read every column)", wall, cpu, None)
    floor_wall, floor_cpu, _ = _measure(pid, lambda: count_floor(F, current, prof), args.repeats)
    line("count floor (plain Spark groupBy)", floor_wall, floor_cpu, None)
    wall, cpu, report = _measure(pid, lambda: kds.compare(prof, current), args.repeats)
    line("kds.compare", wall, cpu, floor_wall)
    print(f"# drifted columns: {report.drifted_columns}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
