"""kill -9 at each step of registering and promoting: the loader sees the old champion set or the
new one, never a mix, and the next start leaves no RUNNING run and no temporary folder behind."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from mlflow import MlflowClient

from training.bases import Base
from training.champions import CHAMPION, current_set, load_champions, training_runs
from training.tasks import MODEL_NAMES
from training.tracking import EXPERIMENT, configure, data_fingerprint, log_training_run, recover

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("kill_training.py")
KILL_POINTS = ("registering churn", "recording the set", "moving the per-task aliases", "done")
"""After one registration; after all four, before the set; after the set's alias, before the
per-task aliases; after everything but the end of the run."""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, trained_base):
    """A registry holding a first champion set, and the outcome pickled for the killed runs."""
    root = tmp_path_factory.mktemp("kill")
    patch = pytest.MonkeyPatch()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    patch.setenv("MLFLOW_TRACKING_URI", uri)
    patch.chdir(root)
    client = configure()
    fingerprint = data_fingerprint(trained_base.transactions)
    _, first = log_training_run(trained_base.outcome, trained_base.config, fingerprint, client)
    outcome_file = root / "outcome.pkl"
    outcome_file.write_bytes(pickle.dumps((trained_base.outcome, trained_base.config, fingerprint)))
    yield root, uri, client, {r.task: r.version for r in first}, outcome_file
    patch.undo()


def run_versions(client: MlflowClient, run_id: str) -> dict[str, str]:
    versions = {}
    for task, name in MODEL_NAMES.items():
        for version in client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'"):
            versions[task] = str(version.version)
    return versions


@pytest.mark.parametrize("step", KILL_POINTS)
def test_a_killed_training_leaves_one_consistent_champion_set(registry, step: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root, uri, client, _, outcome_file = registry
    before = load_champions(client).versions
    before_run = set(training_runs(client, Base(), current_set(client, Base())).values())
    assert len(before_run) == 1
    tmp = root / f"tmp-{step.replace(' ', '-')}"
    tmp.mkdir()
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "TMPDIR": str(tmp)}
    killed = subprocess.run([sys.executable, str(DRIVER), str(outcome_file), step], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    experiment = client.get_experiment_by_name(EXPERIMENT)
    running = client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'")
    assert len(running) == 1
    run_id = running[0].info.run_id
    new = run_versions(client, run_id)
    after = load_champions(client).versions
    assert after == before or (len(new) == 4 and after == new), (step, before, new, after)
    runs = training_runs(client, Base(), current_set(client, Base()))
    assert sorted(runs) == sorted(MODEL_NAMES)
    if step in ("moving the per-task aliases", "done"):
        assert after == new and set(runs.values()) == {run_id}
    else:
        assert after == before and set(runs.values()) == before_run
    assert list(tmp.iterdir()), "the killed run should have left its temporary folder"

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    assert recover(client, Base()) == [run_id]
    assert client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'") == []
    assert client.get_run(run_id).info.status == "KILLED"
    assert list(tmp.iterdir()) == []
    for task, version in after.items():
        assert str(client.get_model_version_by_alias(MODEL_NAMES[task], CHAMPION).version) == version
