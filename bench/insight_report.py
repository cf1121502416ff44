"""Benchmark: the insight report (`insight insight-report`) of a 1 M-customer scored base.

    nice -n 10 .venv/bin/python bench/insight_report.py --customers 1000000

Writes a scores file and a feature table of the same cutoff (seeded; skewed like a real base:
gamma-distributed orders and spend, most one-time buyers, eight segments, three channels) under
--data, then times the command end to end in its own process (reading both files, every
aggregate, the charts, the page) and reports the page's size. Give --scores and --features to
time an existing scored base instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

AS_OF = dt.date(2023, 12, 31)
SEGMENTS = ("loyal high spenders", "lapsing one-time buyers", "new customers", "festive big baskets",
            "average customers", "lapsing low spenders", "loyal customers", "one-time buyers")
CHANNELS = ("web", "store", "app")


def synthetic_base(customers: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores (as `insight score` writes them) and features for `customers` customers."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("c", np.arange(customers).astype(str))
    orders = 1 + rng.negative_binomial(0.6, 0.25, customers)
    tenure = rng.integers(0, 1100, customers)
    recency = np.minimum(tenure, rng.exponential(200, customers).astype(int))
    value = rng.lognormal(3.5, 0.9, customers)
    spend = orders * value
    active = recency <= 365
    orders_365 = np.where(active, np.maximum(1, np.round(orders * rng.uniform(0.2, 1, customers))), 0)
    churn = 1 / (1 + np.exp(-(recency / 120 - orders / 4 + rng.normal(0, 1, customers))))
    clv = np.maximum(0, spend / (1 + tenure / 365) * (1 - churn) * rng.lognormal(0, 0.4, customers))
    days_next = np.where(churn < 0.9, rng.gamma(2, 40, customers).round() + 1, np.nan)
    shares = rng.dirichlet((4, 2, 1), customers)
    features = pd.DataFrame({
        "customer_id": ids, "recency_days": recency.astype(float), "tenure_days": tenure.astype(float),
        "orders": orders.astype(float), "spend_total": spend, "order_value_mean": value,
        "orders_365d": orders_365.astype(float), "spend_365d": np.where(active, spend * orders_365 / orders, 0.0),
        "gap_median_days": np.where(orders > 1, tenure / np.maximum(orders - 1, 1), np.nan),
        "gap_first_days": np.where(orders > 1, rng.gamma(1.5, 60, customers), np.nan),
        "nov_dec_order_share": rng.beta(0.5, 3, customers), "return_rate": rng.beta(0.3, 8, customers),
        **{f"channel_share_{c}": shares[:, i] for i, c in enumerate(CHANNELS)},
        **{f"channel_last_{c}": (shares.argmax(axis=1) == i).astype(float) for i, c in enumerate(CHANNELS)},
    })
    segment = rng.integers(0, len(SEGMENTS), customers)
    next_date = pd.Timestamp(AS_OF) + pd.to_timedelta(days_next, unit="D")
    scores = pd.DataFrame({
        "customer_id": ids, "status": "scored", "segment_id": segment, "segment_name": np.array(SEGMENTS)[segment],
        "churn_probability": churn, "expected_orders": (1 - churn) * orders / np.maximum(tenure, 30) * 90,
        "p_purchase_30d": (1 - churn) * 0.4, "p_purchase_90d": 1 - churn,
        "expected_next_purchase_date": pd.Series(next_date).dt.date, "predicted_clv": clv,
        "model_versions": json.dumps({"customer-insight-churn": "1"}), "as_of": AS_OF,
    })
    return scores, features


def run(scores: Path, features: Path, out: Path) -> dict:
    """The command in its own process: wall and CPU seconds, peak resident memory, page size."""
    command = [sys.executable, "-m", "serving", "insight-report", "--scores", str(scores), "--features",
               str(features), "--horizon-days", "90", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"insight insight-report failed with exit code {process.returncode}")
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak / 1e6, "page_mb": out.stat().st_size / 1e6,
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path("bench/out/insight_report"))
    parser.add_argument("--scores", type=Path)
    parser.add_argument("--features", type=Path)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    scores, features = args.scores, args.features
    if scores is None or features is None:
        scores = args.data / f"scores_{args.customers}.parquet"
        features = args.data / f"features_{args.customers}.parquet"
        if not scores.exists() or not features.exists():
            frames = synthetic_base(args.customers, args.seed)
            frames[0].to_parquet(scores, index=False)
            frames[1].to_parquet(features, index=False)
    customers = len(pd.read_parquet(scores, columns=["customer_id"]))
    result = run(scores, features, args.data / "report.html")
    print("| customers | wall seconds | CPU seconds | peak memory (MB) | page size (MB) | load average |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {customers:,} | {result['seconds']:.1f} | {result['cpu_seconds']:.1f} | {result['peak_mb']:,.0f} | "
          f"{result['page_mb']:.2f} | {result['load']:.1f} |")


if __name__ == "__main__":
    main()
