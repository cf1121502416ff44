"""What a killed training run leaves behind, found and cleared at the next start.

A run killed with SIGKILL cannot end its MLflow run or remove its temporary files. Each training
run therefore records its process id and host as tags and keeps its temporary files (the bundle,
MLflow's staging copies) in one folder named after its process id; the next start marks RUNNING
runs of dead processes on this host as KILLED, removes the folders of dead processes and re-syncs
the per-task champion aliases with the champion set.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import RunStatus

from features.processes import process_alive

log = logging.getLogger(__name__)

PID_TAG, HOST_TAG = "pid", "host"
_PREFIX = "customer-insight-train-"


def owner_tags() -> dict[str, str]:
    """Tags naming the process that runs this training."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def mark_orphans(client: MlflowClient, experiment_ids: list[str]) -> list[str]:
    """Mark RUNNING runs whose process on this host is gone as KILLED; their ids."""
    host = socket.gethostname()
    orphans = []
    for run in client.search_runs(experiment_ids, filter_string="attributes.status = 'RUNNING'", max_results=1000):
        tags = run.data.tags
        pid = tags.get(PID_TAG, "")
        if tags.get(HOST_TAG) != host or not pid.isdigit() or process_alive(int(pid)):
            continue
        client.set_tag(run.info.run_id, "killed", f"process {pid} on {host} died before the run ended")
        client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.KILLED))
        orphans.append(run.info.run_id)
    if orphans:
        log.warning("marked %d run(s) of killed processes as KILLED: %s", len(orphans), ", ".join(orphans))
    return orphans


def remove_stale_folders(root: Path | None = None) -> list[Path]:
    """Remove the temporary folders of training processes that are gone; the folders removed."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for folder in root.glob(f"{_PREFIX}*"):
        pid = folder.name.removeprefix(_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def owned_run(client: MlflowClient, experiment: str, run_name: str) -> Iterator[mlflow.ActiveRun]:
    """`mlflow.start_run` in `experiment`, tagged with this process from its first write, after
    marking that experiment's runs of killed processes KILLED: a job killed while it logs leaves a
    RUNNING run only until the next job of its kind starts."""
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    mark_orphans(client, [experiment_id])
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=owner_tags()) as run:
        yield run


@contextmanager
def private_tempdir() -> Iterator[Path]:
    """A folder of this process for every temporary file written inside the block (Python's
    `tempfile` default is pointed at it), removed at the end or by the next start after a kill."""
    folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)
