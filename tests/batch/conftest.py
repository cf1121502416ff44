"""A small simulated base (its channels named as in `named_channels`) with champion models registered
in a throw-away MLflow store."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from features.schema import TRANSACTIONS_FILE, to_arrow
from named_channels import with_named_channels
from features.synth import SimulationConfig, simulate
from training.champions import load_champions
from training.config import TrainConfig
from training.job import train
from training.tracking import configure, data_fingerprint, log_training_run

SMALL = {"n_estimators": 30, "num_leaves": 15, "min_child_samples": 20}
AS_OF = dt.date(2023, 9, 30)
SCORED_AT = dt.date(2023, 12, 31)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding transactions.parquet, mlflow.db and snapshots/ of a trained base."""
    root = tmp_path_factory.mktemp("batch_store")
    base = with_named_channels(
        simulate(SimulationConfig(n_customers=1200, start="2022-01-01", end="2023-12-31", seed=21)).transactions)
    import pyarrow.parquet as pq

    pq.write_table(to_arrow(base), root / TRANSACTIONS_FILE)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    cwd = Path.cwd()
    os.chdir(root)
    try:
        config = TrainConfig(as_of=AS_OF, horizon_days=90, n_cutoffs=3, step_days=45)
        params = {"churn": SMALL, "orders": SMALL, "clv": SMALL}
        outcome = train(base[base["timestamp"] < "2023-10-01"], config, params=params)
        log_training_run(outcome, config, data_fingerprint(base), configure())
    finally:
        os.chdir(cwd)
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous
    return root


@pytest.fixture()
def tracking_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point MLflow and the snapshot store at `store` for one test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
    monkeypatch.setenv("INSIGHT_SNAPSHOTS", str(store / "snapshots"))
    return store


@pytest.fixture()
def champions(tracking_env: Path):
    return load_champions()
