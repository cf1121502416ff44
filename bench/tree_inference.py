"""Benchmark: what LightGBM prediction alone costs a batch scoring run of 1 M customers.

    .venv/bin/python bench/tree_inference.py                 # 1,000,000 rows, 1 and 2 threads

A batch run applies six boosters of `training.models.gbm.DEFAULT_PARAMS` (300 trees of up to 31
leaves) to every customer: churn, the order count, three purchase-timing checkpoints and CLV. This
fits one binary booster of those parameters on 200,000 random rows with as many columns as a
scoring frame, times `predict(raw_score=True)` on `--rows` rows and prints the seconds for six
boosters against the 20 s that 50,000 customers/s allows for a million customers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402

from training.models.gbm import DEFAULT_PARAMS  # noqa: E402

BOOSTERS = 6
FEATURES = 53
"""Feature columns of a scoring frame of the simulated base (features, calendar, baselines)."""
TARGET_SECONDS = 20.0


def fitted_booster(seed: int = 0) -> lgb.LGBMClassifier:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200_000, FEATURES))
    signal = X[:, :8] @ rng.normal(size=8) + np.sin(3 * X[:, 8]) * X[:, 9]
    y = (signal + rng.normal(size=len(X)) > 0).astype(int)
    return lgb.LGBMClassifier(objective="binary", verbose=-1, random_state=seed, **DEFAULT_PARAMS).fit(X, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    model = fitted_booster()
    X = np.random.default_rng(1).normal(size=(args.rows, FEATURES))
    trees = model.booster_.num_trees()
    print(f"{trees} trees, {FEATURES} features, {args.rows:,} rows; {os.cpu_count()} cores\n")
    print("| threads | seconds, one booster | seconds, six boosters | rows/s | six boosters / 20 s budget |")
    print("|---:|---:|---:|---:|---:|")
    for threads in (1, 2):
        model.predict(X[:10_000], raw_score=True, num_threads=threads)
        began = time.perf_counter()
        model.predict(X, raw_score=True, num_threads=threads)
        seconds = time.perf_counter() - began
        six = BOOSTERS * seconds
        print(f"| {threads} | {seconds:.2f} | {six:.1f} | {args.rows / seconds:,.0f} | {six / TARGET_SECONDS:.2f}x |")
    load = os.getloadavg()
    print(f"\nload average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} after the run")


if __name__ == "__main__":
    main()
