"""Draw the figures of docs/thresholds.md (run: python docs/make_threshold_plots.py).

Needs matplotlib (the `plots` extra). Every curve is computed from kl_drift's own functions
or from the chi-square null, so the figures show what the package does.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import chi2

import kl_drift as kd
from kl_drift._core.divergence import divergence_terms

OUT = Path(__file__).resolve().parent / "img"


def null_kl_against_sample_size() -> None:
    """Expected and 95th-percentile null KL against n_eff, with the fixed and auto levels."""
    n_eff = np.logspace(1, 6, 200)
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    for k, color in ((5, "#1b9e77"), (10, "#d95f02"), (30, "#7570b3")):
        ax.loglog(n_eff, (k - 1) / (2 * n_eff), color=color, lw=1.5, label=f"k={k}: expected noise (k-1)/(2 n_eff)")
        ax.loglog(n_eff, chi2.ppf(0.95, k - 1) / (2 * n_eff), color=color, lw=1.5, ls="--",
                  label=f"k={k}: 95% of noise stays below")
    ax.axhline(0.1, color="black", lw=1, label="fixed default threshold 0.1 nats (~PSI 0.2)")
    ax.axhline(kd.DEFAULT_MIN_EFFECT["current||reference"], color="grey", lw=1, ls=":",
               label="threshold='auto' minimum effect 0.01 nats")
    ax.set_xlabel("effective sample size n_eff = n_cur·n_ref/(n_cur+n_ref)")
    ax.set_ylabel("D(current ‖ reference), nats")
    ax.set_title("KL divergence from sampling noise alone (no drift)")
    ax.set_ylim(1e-5, 5)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(OUT / "null_kl_vs_n.png")
    plt.close(fig)


def forward_vs_reverse() -> None:
    """New mass vs vanished mass: how each KL direction and PSI weigh them (10,000 rows each)."""
    n = 10_000
    shares = np.linspace(0.0, 0.2, 41)
    rows = []
    for s in shares:
        base = np.array([0.5, 0.5, 0.0])
        appeared = np.array([(1 - s) / 2, (1 - s) / 2, s])
        scores = []
        for cur_p, ref_p in ((appeared, base), (base, appeared)):
            cur, ref = np.round(cur_p * n), np.round(ref_p * n)
            scores.append([
                divergence_terms(cur, ref, direction=d)[0]
                for d in ("current||reference", "reference||current", "symmetric")
            ])
        rows.append(scores)
    data = np.array(rows)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), dpi=110, sharey=True)
    titles = ("a new value appears in the current", "a reference value vanishes from the current")
    for panel, ax in enumerate(axes):
        for j, (name, style) in enumerate((("D(current ‖ reference), default", "-"),
                                           ("D(reference ‖ current)", "--"), ("Jeffreys = PSI", ":"))):
            ax.plot(shares * 100, data[:, panel, j], ls=style, lw=1.6, label=name)
        ax.axhline(0.1, color="black", lw=0.8)
        ax.set_title(titles[panel], fontsize=9)
        ax.set_xlabel("share of rows, %")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("score, nats (smoothing 0.5)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "forward_vs_reverse.png")
    plt.close(fig)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    null_kl_against_sample_size()
    forward_vs_reverse()
    print(f"wrote {OUT / 'null_kl_vs_n.png'} and {OUT / 'forward_vs_reverse.png'}")
