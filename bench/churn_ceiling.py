"""Benchmark: how far a churn model can get on the simulated base, fitted in time on the holdout.

    .venv/bin/python bench/churn_ceiling.py                          # simulate 100,000 customers, seed 1
    .venv/bin/python bench/churn_ceiling.py --data /tmp/sim --as-of 2023-06-30 --horizon-days 182

`bench/models.py` judges the out-of-time churn model on the window after `--as-of`. This script
asks what any model of the same features could reach on that window: it fits LightGBM, as the
job's churn model is fitted (same parameters, boosted from BG/NBD), on the holdout labels
themselves, with K-fold cross-validation over customers, so it learns the very window it is judged
on. Then it adds the simulator's ground truth at the cutoff (alive or not, declining, behaviour,
base rate, trend) to show how much of the remaining error is state the history does not show.
Every row is scored by ROC-AUC over all out-of-fold predictions, beside Pareto/NBD on the same
customers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.synth import SimulationConfig, simulate_to_parquet  # noqa: E402
from features.synth.output import TRUTH_FILE  # noqa: E402
from features.pipeline import build_training_frame  # noqa: E402
from training.baselines import with_baselines  # noqa: E402
from training.tasks import CHURN  # noqa: E402
from training.models.gbm import GbmModel  # noqa: E402

SIMULATED_END = dt.date(2023, 12, 31)
LABEL = "label_churned"


def holdout_frame(transactions: Path, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """Features as of `as_of` with baselines, and labels from the `horizon_days` after it."""
    frame = build_training_frame(transactions, as_of + dt.timedelta(days=horizon_days), horizon_days, n_cutoffs=1)
    frame, _ = with_baselines(frame, horizon_days)
    return frame.reset_index(drop=True)


def truth_features(truth: pd.DataFrame, customers: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """The simulator's state of each customer at `as_of`, as numeric columns in `customers`' order."""
    t = truth.set_index("customer_id").reindex(customers.to_numpy())
    churn = pd.to_datetime(t["churn_date"])
    decline = pd.to_datetime(t["decline_date"])
    cutoff = pd.Timestamp(as_of, tz=churn.dt.tz)
    alive = (churn.isna() | (churn > cutoff)).to_numpy()
    out = {
        "truth_alive": alive.astype(float),
        "truth_declining": (alive & (decline.notna() & (decline <= cutoff)).to_numpy()).astype(float),
        "truth_base_rate": t["base_rate"].to_numpy(dtype=float),
        "truth_trend": t["trend"].to_numpy(dtype=float),
    }
    for name in sorted(t["behaviour"].dropna().unique()):
        out[f"truth_behaviour_{name}"] = (t["behaviour"] == name).to_numpy(dtype=float)
    return pd.DataFrame(out, index=customers.index)


def in_time_auc(frame: pd.DataFrame, folds: int, seed: int) -> float:
    """ROC-AUC of out-of-fold churn probabilities of the job's LightGBM fitted on these labels."""
    y = frame[LABEL].to_numpy(dtype=float)
    oof = np.empty(len(y))
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=seed).split(frame):
        model = GbmModel(CHURN.objective, offset_column=CHURN.offset, random_state=seed)
        model.fit(frame.iloc[train_idx], y[train_idx])
        oof[test_idx] = model.predict(frame.iloc[test_idx])
    return roc_auc_score(y, oof)


def run(transactions: Path, truth: pd.DataFrame, as_of: dt.date, horizon_days: int, folds: int, seed: int) -> None:
    began = time.perf_counter()
    frame = holdout_frame(transactions, as_of, horizon_days)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("label_") and c != LABEL])
    y = frame[LABEL].to_numpy(dtype=float)
    pnbd = roc_auc_score(y, 1.0 - frame["pnbd_p_purchase"])
    bgnbd = roc_auc_score(y, 1.0 - frame["bgnbd_p_purchase"])
    best = max(pnbd, bgnbd)
    extra = truth_features(truth, frame["customer_id"], as_of)
    behaviour = [c for c in extra.columns if c.startswith("truth_behaviour_")]
    variants = {
        "the job's features (the in-time ceiling of the current model)": [],
        "+ truth: alive at the cutoff": ["truth_alive"],
        "+ truth: alive and declining at the cutoff": ["truth_alive", "truth_declining"],
        "+ truth: base rate and trend": ["truth_base_rate", "truth_trend"],
        "+ truth: behaviour": behaviour,
        "+ all of the truth": list(extra.columns),
    }
    print(f"\n{len(frame):,} customers as of {as_of}, churn (no purchase in {horizon_days} days) "
          f"{y.mean():.1%}; {folds}-fold cross-validation over customers on the holdout labels\n")
    print("| features | in-time CV ROC-AUC | - best BTYD |\n|---|---:|---:|")
    print(f"| Pareto/NBD P(no purchase) | {pnbd:.4f} | |")
    print(f"| BG/NBD P(no purchase) | {bgnbd:.4f} | |")
    for name, columns in variants.items():
        auc = in_time_auc(pd.concat([frame, extra[columns]], axis=1), folds, seed)
        print(f"| {name} | {auc:.4f} | {auc - best:+.4f} |")
    print(f"\ntarget: best BTYD + 0.03 = {best + 0.03:.4f}; {time.perf_counter() - began:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a directory from `insight synth` (default: simulate one)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="the simulator's seed, and the folds'")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2023, 6, 30))
    parser.add_argument("--horizon-days", type=int, default=182)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
        data = args.data
        if data is None:
            if args.as_of + dt.timedelta(days=args.horizon_days) > SIMULATED_END:
                parser.error(f"--as-of + --horizon-days must end by {SIMULATED_END}, where the simulated data ends")
            config = SimulationConfig(n_customers=args.customers, start="2021-01-01", end=SIMULATED_END, seed=args.seed)
            data = simulate_to_parquet(config, Path(tmp) / "simulated")
        if not (data / TRUTH_FILE).exists():
            parser.error(f"{data} has no {TRUTH_FILE}: give a directory written by `insight synth`")
        truth = pd.read_parquet(data / TRUTH_FILE)
        run(data / "transactions.parquet", truth, args.as_of, args.horizon_days, args.folds, args.seed)


if __name__ == "__main__":
    main()
