"""Generate the deterministic "orders" demo datasets used by kl_drift examples.

Running this script writes four files next to it::

    reference.csv  reference.parquet   8,000 orders placed Jan-Jun 2026
    current.csv    current.parquet     5,000 orders placed Jul-Sep 2026

The CSV and Parquet files of a dataset hold the same rows. Each column is
built to show one kind of drift, or none, so that a drift report on
reference vs. current has a known answer:

Drifted columns (expected to be flagged):

* ``basket_value`` -- lognormal; its mean rises by about 30% (price increase).
* ``delivery_days`` -- current deliveries arrive about 1.5 days later
  (carrier backlog).
* ``channel`` -- the ``app`` share roughly doubles at the expense of ``web``,
  and a new category ``marketplace`` (about 5% of current rows) appears that
  never occurs in the reference.
* ``coupon_code`` -- the distribution of codes is unchanged but the share of
  missing values rises from about 10% to about 35% (a missing-rate drift,
  e.g. a broken checkout field).
* ``order_time`` -- the current data covers a later period, as it always does
  in monitoring; it drifts by construction.
* ``order_id`` -- an increasing ID, so it drifts by construction too. Both
  timestamp and ID columns are usually excluded from drift checks.

Stable columns (same generating distribution; only sampling noise differs):

* ``age`` (about 2% missing in both), ``items``, ``discount_rate``,
  ``country``, ``payment_method`` (about 1% missing in both), ``is_member``
  and ``signup_date``.

All randomness comes from a seeded :class:`numpy.random.Generator`, so with
the same numpy, pandas and pyarrow versions the CSV files are byte-identical
on every run, and so are the Parquet files (their metadata names the writer
versions but holds no timestamps). Regenerate with::

    python sample_data/make_sample_data.py
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20260101
OUTPUT_DIR = Path(__file__).resolve().parent

SECONDS_PER_DAY = 86_400
# Orders by hour of day: quiet at night, peaks at lunch and in the evening.
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 9, 10, 9, 8, 8, 8, 9, 11, 12, 11, 8, 5, 2],
    dtype=float,
)
COUNTRIES = {
    "DE": 0.24, "FR": 0.17, "GB": 0.15, "ES": 0.11, "IT": 0.11, "NL": 0.08, "PL": 0.08, "SE": 0.06
}
PAYMENT_METHODS = {"card": 0.46, "paypal": 0.28, "invoice": 0.12, "apple_pay": 0.08, "cash": 0.06}
COUPON_CODES = {
    "WELCOME10": 0.35, "FREESHIP": 0.25, "LOYAL5": 0.20, "BUNDLE15": 0.12, "VIP20": 0.08
}
SIGNUP_START = np.datetime64("2020-01-01", "D")
SIGNUP_END = np.datetime64("2026-01-01", "D")  # exclusive; before any order

AGE_MISSING_RATE = 0.02
PAYMENT_MISSING_RATE = 0.01
BASKET_LOG_MEAN = np.log(45.0)
BASKET_LOG_SD = 0.6
MEMBER_SHARE = 0.35
DISCOUNT_SHARE = 0.4  # share of orders with a non-zero discount

SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("age", pa.float64()),
        ("basket_value", pa.float64()),
        ("items", pa.int64()),
        ("discount_rate", pa.float64()),
        ("delivery_days", pa.int64()),
        ("country", pa.string()),
        ("channel", pa.string()),
        ("payment_method", pa.string()),
        ("is_member", pa.bool_()),
        ("signup_date", pa.timestamp("us")),
        ("order_time", pa.timestamp("us")),
        ("coupon_code", pa.string()),
    ]
)


@dataclass(frozen=True)
class Period:
    """Parameters of one dataset; only these differ between reference and current."""

    name: str
    n_rows: int
    first_order_id: int
    start: np.datetime64  # first day of the period, inclusive
    end: np.datetime64  # day after the period, exclusive
    basket_mean_factor: float
    extra_delivery_days: float
    channels: dict[str, float]
    coupon_missing_rate: float


REFERENCE = Period(
    name="reference",
    n_rows=8_000,
    first_order_id=100_001,
    start=np.datetime64("2026-01-01", "D"),
    end=np.datetime64("2026-07-01", "D"),
    basket_mean_factor=1.0,
    extra_delivery_days=0.0,
    channels={"web": 0.55, "app": 0.20, "store": 0.15, "phone": 0.10},
    coupon_missing_rate=0.10,
)
CURRENT = Period(
    name="current",
    n_rows=5_000,
    first_order_id=REFERENCE.first_order_id + REFERENCE.n_rows,
    start=np.datetime64("2026-07-01", "D"),
    end=np.datetime64("2026-10-01", "D"),
    basket_mean_factor=1.3,
    extra_delivery_days=1.5,
    channels={"web": 0.33, "app": 0.42, "store": 0.12, "phone": 0.08, "marketplace": 0.05},
    coupon_missing_rate=0.35,
)


def choose(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """Draw ``n`` category labels with probabilities proportional to ``weights``."""
    p = np.array(list(weights.values()))
    return rng.choice(np.array(list(weights), dtype=object), size=n, p=p / p.sum())


def with_missing(rng: np.random.Generator, values: np.ndarray, rate: float) -> pd.Series:
    """Return ``values`` as a Series with about ``rate`` of the entries set to missing."""
    return pd.Series(values).mask(rng.random(len(values)) < rate)


def order_times(rng: np.random.Generator, period: Period) -> np.ndarray:
    """Sorted order timestamps: uniform over the days, weighted by hour of day."""
    n_days = int((period.end - period.start) / np.timedelta64(1, "D"))
    day = rng.integers(0, n_days, size=period.n_rows)
    hour = rng.choice(24, size=period.n_rows, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    second = rng.integers(0, 3_600, size=period.n_rows)
    offset = np.sort(day * SECONDS_PER_DAY + hour * 3_600 + second)
    start = period.start.astype("datetime64[s]")
    return (start + offset.astype("timedelta64[s]")).astype("datetime64[us]")


def make_orders(period: Period, rng: np.random.Generator) -> pd.DataFrame:
    """Build one orders dataset; order IDs increase with order time."""
    n = period.n_rows
    age = np.clip(np.round(rng.normal(41.0, 13.0, n)), 18, 85)
    basket = rng.lognormal(BASKET_LOG_MEAN + np.log(period.basket_mean_factor), BASKET_LOG_SD, n)
    has_discount = rng.random(n) < DISCOUNT_SHARE
    discount = np.where(has_discount, np.round(0.5 * rng.beta(2.0, 5.0, n), 2), 0.0)
    n_signup_days = int((SIGNUP_END - SIGNUP_START) / np.timedelta64(1, "D"))
    signup = SIGNUP_START + rng.integers(0, n_signup_days, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "order_id": np.arange(period.first_order_id, period.first_order_id + n, dtype=np.int64),
            "age": with_missing(rng, age, AGE_MISSING_RATE),
            "basket_value": np.round(basket, 2),
            "items": np.minimum(1 + rng.poisson(1.8, n), 12).astype(np.int64),
            "discount_rate": discount,
            "delivery_days": 1 + rng.poisson(2.0 + period.extra_delivery_days, n).astype(np.int64),
            "country": choose(rng, COUNTRIES, n),
            "channel": choose(rng, period.channels, n),
            "payment_method": with_missing(
                rng, choose(rng, PAYMENT_METHODS, n), PAYMENT_MISSING_RATE
            ),
            "is_member": rng.random(n) < MEMBER_SHARE,
            "signup_date": signup.astype("datetime64[us]"),
            "order_time": order_times(rng, period),
            "coupon_code": with_missing(
                rng, choose(rng, COUPON_CODES, n), period.coupon_missing_rate
            ),
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV with ISO 8601 dates, empty fields for missing values."""
    iso = frame.assign(
        signup_date=frame["signup_date"].dt.strftime("%Y-%m-%d"),
        order_time=frame["order_time"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    iso.to_csv(path, index=False, lineterminator="\n")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as zstd-compressed Parquet with the explicit :data:`SCHEMA`."""
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def main() -> None:
    """Generate both datasets and print one summary line per written file."""
    reference_rng, current_rng = np.random.default_rng(SEED).spawn(2)
    for period, rng in ((REFERENCE, reference_rng), (CURRENT, current_rng)):
        frame = make_orders(period, rng)
        for suffix, write in ((".csv", write_csv), (".parquet", write_parquet)):
            path = OUTPUT_DIR / f"{period.name}{suffix}"
            write(frame, path)
            print(f"{path.name:<18} rows={len(frame):>6,}  bytes={path.stat().st_size:>9,}")


if __name__ == "__main__":
    main()
