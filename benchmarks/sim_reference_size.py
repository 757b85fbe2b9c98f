"""False-alarm rate conditional on one saved reference, by reference size (docs/thresholds.md).

For each reference size, 20 references are drawn; each is compared with 200 undrifted
500-row batches under ``threshold="auto", min_effect=0`` (pure significance at 5%). Prints
the mean rate and its spread over references. About 5 CPU minutes::

    python benchmarks/sim_reference_size.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import kl_drift as kd

N_CURRENT = 500
REFERENCES = 20
BATCHES = 200


def conditional_rates(n_reference: int) -> np.ndarray:
    rates = []
    for r in range(REFERENCES):
        rng = np.random.default_rng(1000 + r)
        prof = kd.profile(pd.DataFrame({"x": rng.normal(size=n_reference)}))
        hits = sum(
            kd.compare(prof, pd.DataFrame({"x": rng.normal(size=N_CURRENT)}), min_effect=0)["x"].drifted
            for _ in range(BATCHES)
        )
        rates.append(hits / BATCHES)
    return np.array(rates)


def main() -> None:
    warnings.simplefilter("ignore")
    for ratio in (1, 10, 100):
        rates = conditional_rates(N_CURRENT * ratio)
        low, high = np.quantile(rates, [0.1, 0.9])
        print(
            f"reference {N_CURRENT * ratio:>6,} rows: mean {rates.mean():.3f}, 10th-90th pct {low:.3f}-{high:.3f}, "
            f"min {rates.min():.3f}, max {rates.max():.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
