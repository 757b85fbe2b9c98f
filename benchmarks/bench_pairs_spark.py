"""Pairs on Spark (local mode): one aggregation for every pair's cells against a job per pair.

The data are ``bench_pairs.related`` (20 numeric + 5 categorical columns, ten tied to
others) written to Parquet and read by Spark; the profile holds ``pairs="auto"``'s ten
pairs. Best of ``--repeat``, wall seconds (the work runs in the JVM; the driver's CPU
time says nothing), in one session, alternating:

* ``column count``: ``kds.count(prof, frame, pairs=[])``-equivalent, the columns alone;
* ``pairs, one job``: ``spark_pairs.count_pairs`` (cells numbered across pairs, exploded,
  one ``groupBy``);
* ``pairs, job per pair``: one ``groupBy`` of the two ``CASE`` columns per pair (what the
  GE metric did before);
* ``profile`` and ``profile, pairs="auto"``: ``kds.profile`` without and with pairs (the
  ranking sample's two small jobs, the count).

The two ways' counts are checked equal.

    python benchmarks/bench_pairs_spark.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_pairs import CUR_SEED, REF_SEED, related  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    import kl_drift as kd
    from kl_drift import spark as kds
    from kl_drift._engines import spark as spark_engine
    from kl_drift._engines import spark_pairs

    warnings.simplefilter("ignore")
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    prof = kd.profile(related(args.rows, REF_SEED), pairs="auto")
    with tempfile.TemporaryDirectory() as folder:
        ref_path, cur_path = os.path.join(folder, "ref.parquet"), os.path.join(folder, "cur.parquet")
        related(args.rows, REF_SEED).to_parquet(ref_path, index=False)
        related(args.rows, CUR_SEED).to_parquet(cur_path, index=False)
        reference, current = spark.read.parquet(ref_path), spark.read.parquet(cur_path)
        print(f"{args.rows:,} rows x {len(prof.columns)} columns, {len(prof.pairs)} pairs, Spark local[2]")
        print(f"load average before: {os.getloadavg()}")

        def per_pair() -> list[np.ndarray]:
            types = {f.name: f.dataType for f in current.schema.fields}
            tables = []
            for pair in prof.pairs:
                x, y = (
                    spark_pairs.group_column(n, types[n], prof[n].bins, g).alias(f"g{i}")  # type: ignore[arg-type]
                    for i, (n, g) in enumerate(zip(pair.columns, pair.groups))
                )
                table = np.zeros(pair.table.shape, dtype=np.int64)
                for gx, gy, n in current.select(x, y).groupBy("g0", "g1").count().collect():
                    table[int(gx), int(gy)] += int(n)
                tables.append(table)
            return tables

        jobs = {
            "column count": lambda: spark_engine.count(prof, current),
            "pairs, one job": lambda: spark_pairs.count_pairs(prof, prof.pairs, current),
            "pairs, job per pair": per_pair,
            "profile": lambda: kds.profile(reference),
            'profile, pairs="auto"': lambda: kds.profile(reference, pairs="auto"),
        }
        best = dict.fromkeys(jobs, float("inf"))
        results = {}
        for _ in range(args.repeat):
            for name, job in jobs.items():
                start = time.perf_counter()
                results[name] = job()
                best[name] = min(best[name], time.perf_counter() - start)
        one = [p.table for p in results["pairs, one job"]]
        assert all(np.array_equal(a, b) for a, b in zip(one, results["pairs, job per pair"])), "different counts"
        auto = results['profile, pairs="auto"']
        print(f'pairs="auto" on Spark kept {[p.columns for p in auto.pairs]}')
        for name, seconds in best.items():
            print(f"{name:>22}: {seconds:6.2f} s wall ({args.rows / seconds:,.0f} rows/s)")
        print(f"load average after: {os.getloadavg()}")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
