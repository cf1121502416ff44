"""A small trained workspace for the serving tests: transactions, registered champions, a snapshot.

Everything lives under one directory so a service subprocess can be pointed at it with env vars.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.pipeline import save_snapshot
from features.synth import SimulationConfig, simulate
from training.config import TrainConfig
from training.examples import build_examples
from training.job import train
from training.predict import scoring_frame
from training.tracking import configure, data_fingerprint, log_training_run

SMALL = {"n_estimators": 30, "num_leaves": 15, "min_child_samples": 20}
AS_OF = dt.date(2023, 9, 30)
SNAPSHOT_AS_OF = dt.date(2023, 12, 31)


@dataclass(frozen=True)
class Workspace:
    root: Path
    transactions: pd.DataFrame
    snapshot_ids: list[str]

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def env(self) -> dict[str, str]:
        """Variables that point MLflow, the snapshot store and BentoML's home into the workspace."""
        return {"MLFLOW_TRACKING_URI": self.tracking_uri, "INSIGHT_SNAPSHOTS": str(self.snapshots),
                "BENTOML_HOME": str(self.root / "bentoml")}


def build_workspace(root: Path, n_customers: int = 1500) -> Workspace:
    """Simulate, train with small LightGBM models, register champions, save the scoring snapshot."""
    base = simulate(SimulationConfig(n_customers=n_customers, start="2022-01-01", end="2023-12-31", seed=11)).transactions
    root.mkdir(parents=True, exist_ok=True)
    base.to_parquet(root / "transactions.parquet", index=False)
    config = TrainConfig(as_of=AS_OF, horizon_days=90, n_cutoffs=1, step_days=45)
    saved = dict(os.environ)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    cwd = Path.cwd()
    os.chdir(root)
    try:
        client = configure()
        outcome = train(base, config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL},
                        examples=build_examples(base, config))
        log_training_run(outcome, config, data_fingerprint(base), client)
        frame = scoring_frame(base, outcome.models, SNAPSHOT_AS_OF)
        save_snapshot(frame, SNAPSHOT_AS_OF, root / "snapshots")
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)
    return Workspace(root, base, frame["customer_id"].astype(str).tolist())
