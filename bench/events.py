"""Benchmark: what engagement events add to the models, on a simulated base with events.

    .venv/bin/python bench/events.py --customers 100000 --seed 1
    .venv/bin/python bench/events.py --customers 100000 --seed 8      # a seed not looked at

The base is simulated once with events (`insight synth --events`); the same models are trained with
`insight train` defaults (no tuning) on data up to the cutoff, once from the transactions alone and
once with the events, each into a throw-away MLflow store, and both champions are judged on what
happened in the horizon after the cutoff. Prints both holdout tables and the issue's checks: churn
ROC-AUC at least 0.03 higher, orders RMSE at least 3 % lower with events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.models import markdown  # noqa: E402
from features.synth import SimulationConfig, simulate_to_parquet  # noqa: E402
from training.evaluation import wide  # noqa: E402
from training.runner import evaluate_champions, run_training  # noqa: E402

START, END = "2021-01-01", dt.date(2023, 12, 31)
AS_OF, HORIZON_DAYS = dt.date(2023, 6, 30), 182


def judged(base: Path, work: Path, name: str, events: list[Path] | None, as_of: dt.date, horizon: int):
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / name}-mlflow.db"
    began = time.perf_counter()
    training = run_training(base, as_of=as_of, horizon_days=horizon, events=events)
    table = wide(evaluate_champions(base, as_of=as_of, events=events).table).reset_index()
    return table, training, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    parser.add_argument("--horizon-days", type=int, default=HORIZON_DAYS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        work = Path(tmp)
        os.chdir(work)
        began = time.perf_counter()
        base = simulate_to_parquet(SimulationConfig(n_customers=args.customers, start=START, end=END,
                                                    seed=args.seed, events=True), work / "base")
        print(f"simulated {args.customers:,} customers with events, seed {args.seed}, {START}..{END}: "
              f"{time.perf_counter() - began:.0f} s; trained as of {args.as_of}, judged on the "
              f"{args.horizon_days} days after")
        tables = {}
        for name, events in (("without events", None), ("with events", [base])):
            table, training, seconds = judged(base, work, name.replace(" ", "_"), events, args.as_of,
                                              args.horizon_days)
            tables[name] = table.set_index(["task", "candidate"])
            columns = [c for c in ("task", "candidate", "roc_auc", "brier", "gini", "rmse", "mae", "total_ratio")
                       if c in table.columns]
            print(f"\n### {name} ({seconds:.0f} s; chosen: "
                  + ", ".join(f"{k}={v}" for k, v in training.outcome.choices.items()) + ")\n")
            print(markdown(table[columns]))
        plain, rich = tables["without events"], tables["with events"]
        auc = rich.loc[("churn", "model"), "roc_auc"] - plain.loc[("churn", "model"), "roc_auc"]
        rmse = rich.loc[("next_purchase", "model"), "rmse"] / plain.loc[("next_purchase", "model"), "rmse"]
        print("\n| check | value | target | holds |\n|---|---:|---:|---|")
        print(f"| churn ROC-AUC with - without events | {auc:.4f} | 0.0300 | {'yes' if auc >= 0.03 else 'no'} |")
        print(f"| orders RMSE with / without events | {rmse:.4f} | 0.9700 | {'yes' if rmse <= 0.97 else 'no'} |")


if __name__ == "__main__":
    main()
