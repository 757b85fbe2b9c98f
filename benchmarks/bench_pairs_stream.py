"""Pairs of Parquet streams: the pair cells counted in the column pass against a second pass.

The current data are ``bench_pairs.related`` (20 numeric + 5 categorical columns, ten of
them tied to others) written to Parquet; the reference profile holds ``pairs="auto"``'s ten
pairs. In one process, alternating, best of ``--repeat`` (wall and CPU seconds):

* ``columns only``: ``count_dataset(prof, path, pairs=())``-equivalent, the column count
  alone (the floor: what a comparison without pairs reads and counts);
* ``two passes``: the column count, then the pairs counted in a pass of their own
  (``arrow_pairs.count_pairs``, what ``compare_dataset`` did before);
* ``one pass``: ``count_dataset(prof, path)``, the pair cells counted from the column
  count's batches (``arrow_pairs.PairTally``).

The pair counts of the two ways are checked equal.

    python benchmarks/bench_pairs_stream.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from bench_pairs import CUR_SEED, REF_SEED, related, timed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import kl_drift as kd
    from kl_drift._engines import arrow, arrow_pairs
    from kl_drift.dataset import count_dataset

    warnings.simplefilter("ignore", kd.KlDriftWarning)
    prof = kd.profile(related(args.rows, REF_SEED), pairs="auto")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "current.parquet")
        related(args.rows, CUR_SEED).to_parquet(path, index=False)
        print(f"{args.rows:,} rows x {len(prof.columns)} columns, {len(prof.pairs)} pairs; load average {os.getloadavg()}")

        def columns_only() -> object:
            return arrow.count(prof, path)

        def two_passes() -> object:
            return arrow.count(prof, path), arrow_pairs.count_pairs(prof, path, prof.pairs, batch_size=arrow.DEFAULT_BATCH_SIZE)

        def one_pass() -> object:
            return count_dataset(prof, path)

        best = {name: (float("inf"), float("inf")) for name in ("columns only", "two passes", "one pass")}
        results = {}
        for _ in range(args.repeat):
            for name, job in (("columns only", columns_only), ("two passes", two_passes), ("one pass", one_pass)):
                wall, cpu, results[name] = timed(job, 1)
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
        assert results["two passes"][1] == results["one pass"].pairs, "the two ways counted different cells"
        floor_wall, floor_cpu = best["columns only"]
        for name, (wall, cpu) in best.items():
            print(
                f"{name:>13}: {wall:6.2f} s wall, {cpu:6.2f} s CPU  "
                f"({wall / floor_wall:4.2f}x / {cpu / floor_cpu:4.2f}x the column count), {args.rows / wall:,.0f} rows/s"
            )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
