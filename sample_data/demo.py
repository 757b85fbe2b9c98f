"""Demo: profile sample_data/reference.parquet, compare sample_data/current.parquet, print the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import kl_drift as kd

HERE = Path(__file__).resolve().parent


def main() -> int:
    reference = pd.read_parquet(HERE / "reference.parquet")
    current = pd.read_parquet(HERE / "current.parquet")
    profile = kd.profile(reference)
    report = kd.compare(profile, current)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(report.to_frame()[["kind", "status", "statistic", "threshold", "pvalue", "novel_fraction"]])
    print(f"\ndataset drifted: {report.drifted} ({', '.join(report.drifted_columns)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
