"""Benchmark: the models against the BTYD baselines on a time-based holdout, CDNOW and simulated.

    .venv/bin/python bench/models.py                       # both data sets
    .venv/bin/python bench/models.py --data cdnow
    .venv/bin/python bench/models.py --data simulated --seed 7 --as-of 2023-09-30 --horizon-days 91

Each data set is trained with `insight train` defaults (no tuning) on data up to the cutoff,
into a throw-away MLflow store, then the champions and the baselines are scored on what happened
in the horizon after the cutoff. Prints the holdout table and the issue's acceptance checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from features.datasets import cdnow_master_path  # noqa: E402
from features.ingest import ingest, load_mapping  # noqa: E402
from features.synth import SimulationConfig, simulate_to_parquet  # noqa: E402
from training.evaluation import wide  # noqa: E402
from training.runner import evaluate_champions, run_training  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    as_of: dt.date
    horizon_days: int
    describe: str


CASES = {
    "cdnow": Case("cdnow", dt.date(1997, 12, 31), 182, "CDNOW master log, trained as of 1997-12-31, "
                  "judged on 1998-01-01..1998-06-30"),
}
SIMULATED_AS_OF, SIMULATED_HORIZON_DAYS, SIMULATED_END = dt.date(2023, 6, 30), 182, dt.date(2023, 12, 31)


def simulated_case(customers: int, seed: int, as_of: dt.date, horizon_days: int) -> Case:
    """The simulated case; another seed, cutoff or horizon gives a base the models were not tuned on."""
    end = as_of + dt.timedelta(days=horizon_days)
    return Case("simulated", as_of, horizon_days, f"simulator, {customers:,} customers, 2021-01-01..2023-12-31, "
                f"seed {seed}, trained as of {as_of}, judged on {as_of + dt.timedelta(days=1)}..{end}")


def prepare(case: Case, work: Path, customers: int, seed: int) -> Path:
    if case.name == "cdnow":
        return ingest(cdnow_master_path(), load_mapping(preset="cdnow"), work / "cdnow").transactions_path
    config = SimulationConfig(n_customers=customers, start="2021-01-01", end=SIMULATED_END, seed=seed)
    return simulate_to_parquet(config, work / "simulated") / "transactions.parquet"


def checks(table: pd.DataFrame) -> list[tuple[str, float, float, bool]]:
    """(check, model value, target, passed) for the issue's acceptance items."""
    value = table.set_index(["task", "candidate"])
    rmse_best = min(value.loc[("next_purchase", "bgnbd"), "rmse"], value.loc[("next_purchase", "pnbd"), "rmse"])
    best = "bgnbd" if value.loc[("next_purchase", "bgnbd"), "rmse"] <= value.loc[("next_purchase", "pnbd"), "rmse"] else "pnbd"
    auc_best = max(value.loc[("churn", "bgnbd"), "roc_auc"], value.loc[("churn", "pnbd"), "roc_auc"])
    gini_gg = value.loc[("clv", "bgnbd_gg"), "gini"]
    model = value.xs("model", level="candidate")
    return [
        ("orders RMSE <= best BTYD", model.loc["next_purchase", "rmse"], rmse_best, model.loc["next_purchase", "rmse"] <= rmse_best),
        ("orders RMSE / best BTYD", model.loc["next_purchase", "rmse"] / rmse_best, 0.95, model.loc["next_purchase", "rmse"] <= 0.95 * rmse_best),
        ("orders MAE within 2% of best BTYD's", model.loc["next_purchase", "mae"], 1.02 * value.loc[("next_purchase", best), "mae"],
         model.loc["next_purchase", "mae"] <= 1.02 * value.loc[("next_purchase", best), "mae"]),
        ("orders total ratio within +-10%", model.loc["next_purchase", "total_ratio"], 1.0,
         abs(model.loc["next_purchase", "total_ratio"] - 1) <= 0.10),
        ("churn ROC-AUC >= best BTYD", model.loc["churn", "roc_auc"], auc_best, model.loc["churn", "roc_auc"] >= auc_best),
        ("churn ROC-AUC - best BTYD", model.loc["churn", "roc_auc"] - auc_best, 0.03,
         model.loc["churn", "roc_auc"] - auc_best >= 0.03),
        ("CLV Gini - BG/NBD x GG", model.loc["clv", "gini"] - gini_gg, 0.02, model.loc["clv", "gini"] - gini_gg >= 0.02),
        ("CLV Gini - BG/NBD x GG (rich)", model.loc["clv", "gini"] - gini_gg, 0.03,
         model.loc["clv", "gini"] - gini_gg >= 0.03),
    ]


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub table; numbers to four decimals, blanks for metrics a task does not have."""
    def cell(v: object) -> str:
        return "" if pd.isna(v) else f"{v:.4f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def run(case: Case, work: Path, customers: int, seed: int, seasonal_years: int) -> None:
    began = time.perf_counter()
    transactions = prepare(case, work, customers, seed)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / case.name}-mlflow.db"
    os.chdir(work)
    training = run_training(transactions, as_of=case.as_of, horizon_days=case.horizon_days,
                            seasonal_years=seasonal_years)
    table = wide(evaluate_champions(transactions, as_of=case.as_of).table).reset_index()
    print(f"\n### {case.describe}\n")
    print(f"validation: {training.outcome.scheme_description}; chosen: "
          + ", ".join(f"{k}={v}" for k, v in training.outcome.choices.items())
          + f"; {time.perf_counter() - began:.0f} s\n")
    columns = [c for c in ("task", "candidate", "roc_auc", "brier", "gini", "rmse", "mae", "total_ratio")
               if c in table.columns]
    print(markdown(table[columns]))
    print("\n| check | value | target | holds |\n|---|---:|---:|---|")
    for name, got, target, ok in checks(table):
        print(f"| {name} | {got:.4f} | {target:.4f} | {'yes' if ok else 'no'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=[*CASES, "simulated", "all"], default="all")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="the simulator's seed")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=SIMULATED_AS_OF,
                        help="the simulated case's cutoff")
    parser.add_argument("--horizon-days", type=int, default=SIMULATED_HORIZON_DAYS)
    parser.add_argument("--seasonal-years", type=int, default=1, help="as `insight train --seasonal-years`")
    args = parser.parse_args()
    if args.as_of + dt.timedelta(days=args.horizon_days) > SIMULATED_END:
        parser.error(f"--as-of + --horizon-days must end by {SIMULATED_END}, where the simulated data ends")
    cases = dict(CASES, simulated=simulated_case(args.customers, args.seed, args.as_of, args.horizon_days))
    with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
        for name in cases if args.data == "all" else [args.data]:
            run(cases[name], Path(tmp), args.customers, args.seed, args.seasonal_years)


if __name__ == "__main__":
    main()
