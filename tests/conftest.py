"""Shared fixtures: paths to real data (skipping cleanly when absent) and one trained store."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail_ii_eu_subset.xlsx"
ONLINE_RETAIL_I = SHARED_DATA / "online_retail_I.csv.gz"

SMALL = {"n_estimators": 30, "num_leaves": 15, "min_child_samples": 20}
STORE_AS_OF = dt.date(2023, 9, 30)
"""Training cutoff of `store`; its transactions run to 2023-12-31."""


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    """The Online Retail II subset in ../shared/data; tests that need it skip without it."""
    if not ONLINE_RETAIL.exists():
        pytest.skip(f"{ONLINE_RETAIL} is not present")
    return ONLINE_RETAIL


@pytest.fixture(scope="session")
def online_retail_i_path() -> Path:
    """The complete Online Retail I log in ../shared/data; tests that need it skip without it."""
    if not ONLINE_RETAIL_I.exists():
        pytest.skip(f"{ONLINE_RETAIL_I} is not present")
    return ONLINE_RETAIL_I


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding transactions.parquet, mlflow.db (champions registered, artifacts under
    mlruns/) and snapshots/ of a small trained simulated base; trained once per session."""
    import pyarrow.parquet as pq

    from features.schema import TRANSACTIONS_FILE, to_arrow
    from features.synth import SimulationConfig, simulate
    from training.config import TrainConfig
    from training.job import train
    from training.tracking import configure, data_fingerprint, log_training_run

    root = tmp_path_factory.mktemp("batch_store")
    base = simulate(SimulationConfig(n_customers=1200, start="2022-01-01", end="2023-12-31", seed=21)).transactions
    pq.write_table(to_arrow(base), root / TRANSACTIONS_FILE)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    cwd = Path.cwd()
    os.chdir(root)
    try:
        config = TrainConfig(as_of=STORE_AS_OF, horizon_days=90, n_cutoffs=3, step_days=45)
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
def store_copy(store: Path, tmp_path: Path) -> Path:
    """A private copy of `store` in tmp_path, its MLflow database pointing at the copied artifacts,
    so a test may damage it or write to it without touching the session's store."""
    target = tmp_path / "store"
    shutil.copytree(store, target)
    old, new = str(store.resolve()), str(target.resolve())
    with sqlite3.connect(target / "mlflow.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in db.execute(f"PRAGMA table_info('{table}')").fetchall():
                if column[2].upper().startswith(("VARCHAR", "TEXT")):
                    db.execute(f'UPDATE "{table}" SET "{column[1]}" = replace("{column[1]}", ?, ?)', (old, new))
    return target
