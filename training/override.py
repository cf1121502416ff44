"""A deliberate promotion (`insight promote`): a set the gate kept out, or one task's version, made
champion by hand, checked for compatibility and logged with who did it and why."""

from __future__ import annotations

import getpass
import socket

import mlflow
from mlflow import MlflowClient

from training.bases import Base
from training.champions import CHAMPION, ChampionSet, compose, current_set, record_set, sync_task_aliases, task_bundle
from training.recovery import owned_run
from training.tasks import MODEL_NAMES


def versions_of_run(client: MlflowClient, base: Base, run_id: str) -> dict[str, str]:
    """The version of each task's model that training run `run_id` registered in `base`."""
    found = {}
    for task in MODEL_NAMES:
        name = base.model_name(task)
        for version in client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'"):
            found[task] = str(version.version)
    missing = sorted(set(MODEL_NAMES) - set(found))
    if missing:
        raise LookupError(f"run {run_id} registered no {', '.join(missing)} model in the customer base "
                          f"'{base.name}'; `insight promote --run` takes a training run of that base")
    return found


def promote(client: MlflowClient, base: Base, versions: dict[str, str], reason: str) -> ChampionSet:
    """Make `versions` (task -> version, the others kept from the current set) the champion set.

    Refused, naming the model, when a version does not exist or the set would mix horizons or
    feature schemas. The override is logged as an MLflow run (job=promote) with who and why.
    """
    if not reason.strip():
        raise ValueError("--reason is required: say why this set is promoted by hand")
    unknown = sorted(set(versions) - set(MODEL_NAMES))
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; tasks are {', '.join(MODEL_NAMES)}")
    current = current_set(client, base)
    chosen = {**(current.versions if current else {}), **versions}
    missing = sorted(set(MODEL_NAMES) - set(chosen))
    if missing:
        raise ValueError(f"the customer base '{base.name}' has no champion for {', '.join(missing)}: "
                         "promote a whole training run's set with --run")
    for task, version in chosen.items():
        try:
            client.get_model_version(base.model_name(task), str(version))
        except mlflow.exceptions.MlflowException:
            raise LookupError(f"no version {version} of '{base.model_name(task)}' in the registry") from None
    compose({task: task_bundle(client, base, task, version) for task, version in chosen.items()}, base)
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    mlflow.set_experiment(base.experiment())
    with owned_run(client, base.experiment(), f"promote {base.name}") as run:
        mlflow.set_tags({"job": "promote", "base": base.name, "promoted_by": who, "reason": reason,
                         "replaced_set": current.version if current else ""})
        mlflow.log_dict({"models": {base.model_name(t): v for t, v in chosen.items()}, "by": who, "reason": reason},
                        "champion_set.json")
        champion_set = record_set(client, base, chosen, alias=CHAMPION, run_id=run.info.run_id,
                                  source=f"{run.info.artifact_uri}/champion_set.json",
                                  reason=f"promoted by hand by {who}: {reason}", forced=True)
        mlflow.set_tag("champion_set_version", champion_set.version)
    sync_task_aliases(client, base, champion_set)
    return champion_set
