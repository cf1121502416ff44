"""Shared fixtures: paths to real data (skipping cleanly when absent), one small trained base, and
the scoring service over a small trained workspace (started once per session, shared by
tests/serving and tests/reliability)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from features.synth import SimulationConfig, simulate
from training.config import TrainConfig
from training.job import TrainingOutcome, train

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail_ii_eu_subset.xlsx"
ONLINE_RETAIL_I = SHARED_DATA / "online_retail_I.csv.gz"
SMALL = {"n_estimators": 30, "num_leaves": 15, "min_child_samples": 20}


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


@dataclass(frozen=True)
class TrainedBase:
    """A small simulated base and one training outcome on it (not logged anywhere)."""

    transactions: pd.DataFrame
    config: TrainConfig
    outcome: TrainingOutcome


@pytest.fixture(scope="session")
def trained_base() -> TrainedBase:
    """1,200 simulated customers trained as of 2023-09-30 (90 days, small LightGBM models), once per
    session: tests log it into registries of their own instead of training again. Its channels are
    named as real sources write them (see `named_channels`)."""
    from named_channels import with_named_channels

    base = with_named_channels(
        simulate(SimulationConfig(n_customers=1200, start="2022-01-01", end="2023-12-31", seed=21)).transactions)
    config = TrainConfig(as_of=dt.date(2023, 9, 30), horizon_days=90, n_cutoffs=3, step_days=45)
    outcome = train(base[base["timestamp"] < "2023-10-01"], config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL})
    return TrainedBase(base, config, outcome)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, trained_base) -> Path:
    """A directory holding transactions.parquet, mlflow.db (the champions of `trained_base`, artifacts
    under mlruns/) and snapshots/; shared by the batch and the fault suites."""
    import pyarrow.parquet as pq

    from features.schema import TRANSACTIONS_FILE, to_arrow
    from training.tracking import configure, data_fingerprint, log_training_run

    root = tmp_path_factory.mktemp("batch_store")
    base = trained_base.transactions

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


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    """A small trained workspace (simulated base, registered champions, a snapshot); see tests/workspace.py."""
    from workspace import build_workspace

    return build_workspace(tmp_path_factory.mktemp("serving"))


@pytest.fixture(scope="session")
def service(workspace):
    """The real scoring service over `workspace`, started once per session for the serving and fault suites."""
    from service_process import start_service

    yield from start_service(workspace, "service")


# Tests that share an expensive session fixture run on one pytest-xdist worker, so it is built once;
# every other test stays with its module, so module fixtures are built once too.
SHARED_FIXTURE_GROUPS = (
    ("batch-store", {"trained_base", "store"}),
    ("serving-workspace", {"workspace"}),
    ("spark", {"spark_backend"}),
)


def xdist_group_of(item: pytest.Item) -> str:
    """The xdist group of a test: the expensive session fixture it uses, else its module."""
    defs = getattr(item, "_fixtureinfo").name2fixturedefs
    session = {name for name, chain in defs.items() if chain and chain[-1].scope == "session"}
    for group, fixtures in SHARED_FIXTURE_GROUPS:
        if session & fixtures:
            return group
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))
