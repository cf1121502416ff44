"""The champion set: the four champion versions of one customer base, promoted as one transaction.

A set is a version of the registered model `customer-insight-champions` (per base, see
`training.bases`) whose tags name the version of each task's model; its `champion` alias is the
one thing scoring reads. Moving that alias is a single write, so a run killed at any point leaves
either the old set or the new one. The per-task `champion` aliases follow the set afterwards (for
the MLflow UI and `models:/...@champion`) and are re-synced on the next start if a run died between.

Each task's champion may come from another run than the others' (after a deliberate `insight
promote`), so the scoring bundle is assembled task by task, and `compose` refuses a set whose
models disagree on the horizon or the feature schema.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from training.bases import DEFAULT_BASE, Base, resolve_base
from training.settings import TrainingSettings
from training.tasks import MODEL_NAMES
from training.job import CustomerModels
from training.packaging import BUNDLE_FILE, load_bundle
from training.store_health import champion_files

CHAMPION, CHALLENGER = "champion", "challenger"
_TASK_TAG = "version."


@dataclass(frozen=True)
class ChampionSet:
    """One recorded set: its own version and the version of each task's model."""

    version: str
    versions: dict[str, str]
    run_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Champions:
    """The composed models and the registered version behind each task."""

    models: CustomerModels
    versions: dict[str, str]
    base: Base = Base()
    set_version: str | None = None

    @property
    def versions_by_name(self) -> dict[str, str]:
        """Registered model name -> version, as recorded next to every score."""
        return {self.base.model_name(task): version for task, version in self.versions.items()}


def _set_of(version) -> ChampionSet:
    tags = version.tags or {}
    versions = {task: tags[_TASK_TAG + task] for task in MODEL_NAMES if _TASK_TAG + task in tags}
    return ChampionSet(str(version.version), versions, version.run_id or tags.get("run_id"), tags.get("reason", ""))


def current_set(client: MlflowClient, base: Base) -> ChampionSet | None:
    """The base's champion set; a registry from before sets, with all four task aliases, reads as one."""
    try:
        return _set_of(client.get_model_version_by_alias(base.set_name, CHAMPION))
    except mlflow.exceptions.MlflowException:
        pass
    versions = {}
    for task in MODEL_NAMES:
        try:
            versions[task] = str(client.get_model_version_by_alias(base.model_name(task), CHAMPION).version)
        except mlflow.exceptions.MlflowException:
            return None
    return ChampionSet("", versions, None, "the per-task champion aliases (no champion set recorded)")


def record_set(client: MlflowClient, base: Base, versions: dict[str, str], *, alias: str, run_id: str | None,
               source: str, reason: str, forced: bool = False) -> ChampionSet:
    """Record `versions` as a new set and point `alias` at it: the commit of a promotion."""
    missing = sorted(set(MODEL_NAMES) - set(versions))
    if missing:
        raise ValueError(f"a champion set needs a version of every model; missing {', '.join(missing)}")
    try:
        client.get_registered_model(base.set_name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(
            base.set_name, description=f"Champion sets of the customer base '{base.name}': the tags of each "
                                       "version name the version of every task's model.")
    tags = {**{_TASK_TAG + task: str(v) for task, v in versions.items()}, "reason": reason,
            "by": f"{getpass.getuser()}@{socket.gethostname()}", "forced": str(forced).lower()}
    version = client.create_model_version(base.set_name, source=source, run_id=run_id, tags=tags)
    client.set_registered_model_alias(base.set_name, alias, version.version)
    return ChampionSet(str(version.version), {t: str(v) for t, v in versions.items()}, run_id, reason)


def training_runs(client: MlflowClient, base: Base, champion_set: ChampionSet) -> dict[str, str]:
    """task -> the run its version in `champion_set` was registered from. A set promoted by one
    `insight train` (or left by a run killed at any point) names every task and a single run."""
    return {task: str(client.get_model_version(base.model_name(task), version).run_id)
            for task, version in champion_set.versions.items()}


def sync_task_aliases(client: MlflowClient, base: Base, champion_set: ChampionSet | None = None) -> None:
    """Point each task's `champion` alias at the set's version (idempotent; repairs a killed promotion)."""
    champion_set = champion_set or current_set(client, base)
    if champion_set is None or not champion_set.version:
        return
    for task, version in champion_set.versions.items():
        name = base.model_name(task)
        try:
            if str(client.get_model_version_by_alias(name, CHAMPION).version) == version:
                continue
        except mlflow.exceptions.MlflowException:
            pass
        client.set_registered_model_alias(name, CHAMPION, version)


def task_bundle(client: MlflowClient, base: Base, task: str, version: str) -> CustomerModels:
    """The bundle registered as `version` of `task`'s model; DamagedStore when its files are missing
    or cut short."""
    with champion_files(base.model_name(task), version):
        path = mlflow.artifacts.download_artifacts(f"models:/{base.model_name(task)}/{version}")
        return load_bundle(Path(path) / "artifacts" / BUNDLE_FILE)


def champion_bundle(client: MlflowClient, task: str, base: Base = Base()) -> tuple[CustomerModels | None, str | None]:
    """The champion set's bundle for `task`, with its version (None when there is no set)."""
    champion_set = current_set(client, base)
    if champion_set is None or task not in champion_set.versions:
        return None, None
    version = champion_set.versions[task]
    return task_bundle(client, base, task, version), version


def load_champions(client: MlflowClient | None = None, base: Base | None = None) -> Champions:
    """The base's champion set, downloaded once; a LookupError says what to run when there is none."""
    from training.tracking import configure

    base = base or Base()
    client = client or configure()
    champion_set = current_set(client, base)
    if champion_set is None:
        raise LookupError(
            f"no champion models for the customer base '{base.name}' in the registry; "
            f"run `insight train --base {base.name}` first{_other_bases_hint(client, base)}"
        )
    bundles = {task: task_bundle(client, base, task, version) for task, version in champion_set.versions.items()}
    return Champions(compose(bundles, base), dict(champion_set.versions), base, champion_set.version or None)


def base_with_champions(name: str | None, data: str | os.PathLike[str] | None) -> Base:
    """`resolve_base` for commands that read champions: a name only derived from the data directory
    that has no champion set falls back to `default` when that one has a set (a registry trained
    through the Python API, or before customer bases existed)."""
    from training.config import tracking_uri

    base = resolve_base(name, data)
    if name or TrainingSettings.from_env().base or base.name == DEFAULT_BASE:
        return base
    client = MlflowClient(tracking_uri())
    if current_set(client, base) is None and current_set(client, Base()) is not None:
        return Base()
    return base


def known_bases(client: MlflowClient) -> list[str]:
    """Names of the bases with a champion set in the registry."""
    from training.bases import SET_NAME

    names = []
    for model in client.search_registered_models(filter_string=f"name LIKE '%{SET_NAME}'"):
        prefix = model.name.removesuffix(SET_NAME)
        names.append(prefix.removesuffix(".") if prefix else DEFAULT_BASE)
    return sorted(names)


def _other_bases_hint(client: MlflowClient, base: Base) -> str:
    others = [name for name in known_bases(client) if name != base.name]
    return f" (bases with champions: {', '.join(others)}; choose one with --base)" if others else ""


def compose(bundles: dict[str, CustomerModels], base: Base | None = None) -> CustomerModels:
    """One bundle taking each task's component from that task's champion run.

    Runs must agree on the horizon and feature schema; the channel columns are the union, so a
    model that did not see a channel simply ignores its column.
    """
    names = (base or Base()).model_names
    anchor = bundles["churn"]
    for task, models in bundles.items():
        if models.horizon_days != anchor.horizon_days or models.feature_schema_version != anchor.feature_schema_version:
            raise ValueError(
                f"the champion of '{names[task]}' predicts {models.horizon_days} days ahead with feature "
                f"schema v{models.feature_schema_version}, the churn champion {anchor.horizon_days} days with "
                f"v{anchor.feature_schema_version}; retrain `{names[task]}` with the same horizon "
                f"(`insight train` promotes all four together) or promote a compatible version"
            )
    channels = sorted({channel for models in bundles.values() for channel in models.channels})
    return replace(
        anchor,
        channels=channels,
        **{task: getattr(models, task) for task, models in bundles.items()},
    )

