"""A small simulated base with champion models registered in a throw-away MLflow store."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from features.schema import TRANSACTIONS_FILE, to_arrow
from training.champions import load_champions
from training.tracking import configure, data_fingerprint, log_training_run

SCORED_AT = dt.date(2023, 12, 31)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, trained_base) -> Path:
    """A directory holding transactions.parquet, mlflow.db and snapshots/ of a trained base."""
    root = tmp_path_factory.mktemp("batch_store")
    base = trained_base.transactions
    import pyarrow.parquet as pq

    pq.write_table(to_arrow(base), root / TRANSACTIONS_FILE)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    cwd = Path.cwd()
    os.chdir(root)
    try:
        log_training_run(trained_base.outcome, trained_base.config, data_fingerprint(base), configure())
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
