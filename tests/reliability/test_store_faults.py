"""Fault suite for a damaged MLflow store: each case is one line naming what is damaged and how to
recover, exit 2, and the store and the previous output are left exactly as they were.

Each test damages a private copy of the session's trained store (`store_copy`); nothing is trained.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from features.schema import TRANSACTIONS_FILE
from training.packaging import BUNDLE_FILE


def churn_champion_files(store: Path) -> Path:
    """The artifact folder of the churn champion's registered version in `store`."""
    with sqlite3.connect(store / "mlflow.db") as db:
        (location,) = db.execute(
            "SELECT v.storage_location FROM model_versions v JOIN registered_model_aliases a "
            "ON a.name = v.name AND a.version = v.version WHERE v.name = 'customer-churn' AND a.alias = 'champion'"
        ).fetchone()
    folder = Path(unquote(urlparse(location).path))
    assert folder.is_relative_to(store) and (folder / "artifacts" / BUNDLE_FILE).exists()
    return folder


def delete_artifacts(store: Path) -> None:
    import shutil

    shutil.rmtree(churn_champion_files(store))


def truncate_bundle(store: Path) -> None:
    bundle = churn_champion_files(store) / "artifacts" / BUNDLE_FILE
    bundle.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])


def truncate_database(store: Path) -> None:
    db = store / "mlflow.db"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])


def empty_database(store: Path) -> None:
    (store / "mlflow.db").write_bytes(b"")


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "missing_artifact": (delete_artifacts, "the files of champion customer-churn v1 are missing",
                         "restore the artifact store from a backup"),
    "truncated_bundle": (truncate_bundle, "the model bundle of champion customer-churn v1 is damaged",
                         "restore the artifact store from a backup"),
    "truncated_database": (truncate_database, "mlflow.db is damaged", "restore it from a backup"),
    "empty_database": (empty_database, "mlflow.db is empty (0 bytes)", "restore it from a backup"),
}


def contents(root: Path, *, with_database: bool) -> dict[str, bytes]:
    """Every file under `root`; the database is left out where the registry is healthy (reading it
    through MLflow may update it), so only the damaged part is compared."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (with_database or p.name != "mlflow.db")}


@pytest.mark.parametrize("case", CASES)
def test_damaged_store_is_one_line_and_nothing_is_lost(case: str, store_copy: Path, tmp_path: Path) -> None:
    damage, what, recovery = CASES[case]
    out = tmp_path / "scores.parquet"
    out.write_bytes(b"yesterday's scores")
    damage(store_copy)
    database_damaged = case.endswith("_database")
    before = contents(store_copy, with_database=database_damaged)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store_copy / 'mlflow.db'}",
           "INSIGHT_SNAPSHOTS": str(tmp_path / "snapshots"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "serving", "score", "--transactions", str(store_copy / TRANSACTIONS_FILE),
         "--as-of", "2023-12-31", "--out", str(out)], capture_output=True, text=True, timeout=300, env=env,
        cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert what in lines[0] and recovery in lines[0]
    after = contents(store_copy, with_database=database_damaged)
    assert {name: after.get(name) for name in before} == before, "a file of the store was lost or changed"
    assert out.read_bytes() == b"yesterday's scores"
