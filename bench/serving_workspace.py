"""The trained workspace the serving benchmarks run the service over (bench/serving.py,
bench/api_contract.py): CDNOW ingested, champions trained as `insight demo` does, a snapshot saved.

Kept in its own module so the benchmarks share one training (`--workdir`) and one way to start
the service on it.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from pathlib import Path

from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping
from features.pipeline import save_snapshot
from training.predict import scoring_frame
from training.runner import run_training

TRAIN_AS_OF, HORIZON_DAYS, SNAPSHOT_AS_OF = dt.date(1997, 12, 31), 182, dt.date(1998, 6, 30)
API_KEY = "bench-serving-key"


def workspace_env(root: Path) -> dict[str, str]:
    """MLflow store, snapshot store and BentoML home inside the throw-away workspace."""
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "INSIGHT_SNAPSHOTS": str(root / "snapshots"),
            "BENTOML_HOME": str(root / "bentoml")}


@contextmanager
def inside(root: Path):
    """Run with the workspace as working directory (MLflow writes its artifacts relative to it)."""
    previous = Path.cwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(previous)


def build_workspace(root: Path) -> None:
    """CDNOW ingested, champions trained and registered as `insight demo` does, snapshot saved.

    Expects os.environ to point MLflow and the snapshot store into `root` (see `workspace_env`).
    Skipped when `root` already holds a trained workspace (see --workdir), so repeated runs can
    share one training.
    """
    if (root / "mlflow.db").exists() and (root / "snapshots").exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    with inside(root):
        transactions = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), root / "transactions")
        run = run_training(transactions.transactions_path, as_of=TRAIN_AS_OF, horizon_days=HORIZON_DAYS)
        frame = scoring_frame(transactions.transactions_path, run.outcome.models, SNAPSHOT_AS_OF)
        save_snapshot(frame, SNAPSHOT_AS_OF, root / "snapshots")


def service_env(root: Path) -> dict[str, str]:
    """The environment of `insight serve`: the workspace, one API key, default limits."""
    return {**os.environ, **workspace_env(root), "INSIGHT_API_KEYS": API_KEY}
