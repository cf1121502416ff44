"""kill -9 while a job logs its MLflow run: the next job of its kind marks the orphan KILLED.

Found with bench/soak.py's check "no orphan RUNNING runs after the next start" (a window too short
for its random kills to hit often): an `insight score` killed after publishing, while it logged to
MLflow, left its run RUNNING for ever, since only training runs named their process and were
recovered. Every job that logs a run (score, monitor, promote, uplift, campaigns) now opens it
with `training.recovery.owned_run`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from features.schema import TRANSACTIONS_FILE
from serving.batch_tracking import EXPERIMENT
from training.recovery import HOST_TAG, PID_TAG, owned_run, owner_tags

DRIVER = Path(__file__).with_name("kill_scoring.py")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_owned_run_marks_runs_of_dead_processes_killed_and_tags_its_own(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = MlflowClient()
    experiment_id = client.create_experiment("jobs")
    dead = client.create_run(experiment_id, tags={**owner_tags(), PID_TAG: str(dead_pid())}).info.run_id
    alive = client.create_run(experiment_id, tags=owner_tags()).info.run_id
    elsewhere = client.create_run(experiment_id, tags={PID_TAG: str(dead_pid()), HOST_TAG: "another-host"})

    with owned_run(client, "jobs", "job") as run:
        assert client.get_run(run.info.run_id).data.tags[PID_TAG] == str(os.getpid())
    assert client.get_run(dead).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(elsewhere.info.run_id).info.status == "RUNNING"
    assert client.get_run(run.info.run_id).info.status == "FINISHED"


@pytest.mark.slow
def test_a_score_killed_while_logging_leaves_no_running_run_after_the_next_score(store_copy: Path,
                                                                                  tmp_path: Path) -> None:
    uri = f"sqlite:///{store_copy / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "INSIGHT_SNAPSHOTS": str(store_copy / "snapshots")}
    args = ["score", "--transactions", str(store_copy / TRANSACTIONS_FILE), "--as-of", "2023-12-31",
            "--out", str(tmp_path / "s.parquet")]
    killed = subprocess.run([sys.executable, str(DRIVER), *args], env=env, cwd=store_copy,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    client = MlflowClient(uri)
    experiment_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    finished_before = [r.info.status for r in client.search_runs([experiment_id])].count("FINISHED")
    orphans = client.search_runs([experiment_id], "attributes.status = 'RUNNING'")
    assert len(orphans) == 1

    rerun = subprocess.run([sys.executable, "-m", "serving", *args], env=env, cwd=store_copy,
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert client.search_runs([experiment_id], "attributes.status = 'RUNNING'") == []
    assert client.get_run(orphans[0].info.run_id).info.status == "KILLED"
    finished_after = [r.info.status for r in client.search_runs([experiment_id])].count("FINISHED")
    assert finished_after == finished_before + 1
