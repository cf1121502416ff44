"""Batch tests run on the session's trained `store` (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from training.champions import load_champions

SCORED_AT = dt.date(2023, 12, 31)


@pytest.fixture()
def tracking_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point MLflow and the snapshot store at `store` for one test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
    monkeypatch.setenv("INSIGHT_SNAPSHOTS", str(store / "snapshots"))
    return store


@pytest.fixture()
def champions(tracking_env: Path):
    return load_champions()
