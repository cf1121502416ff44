"""Where the service loads its champion set from, chosen by INSIGHT_MODEL_SOURCE.

`mlflow` (default): each task's `champion` alias from the registry at the configured tracking URI,
and the snapshot store's (INSIGHT_SNAPSHOTS) newest snapshot within its data, or the one named by
INSIGHT_SNAPSHOT_AS_OF (see `features.pipeline.serving_snapshot`). `bentoml`: the set imported
into the BentoML model store by `insight serve --build`; a built Bento sets this itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from features.pipeline import list_snapshots, serving_snapshot
from serving.bento_store import load_from_bento_store
from serving.settings import ServingSettings, snapshot_store
from serving.state import ServingSet, prepare
from training.bases import Base
from training.champions import known_bases, load_champions
from training.settings import TrainingSettings
from training.tracking import configure


def serving_base(name: str | None = None) -> Base:
    """The base to serve: `name`, else INSIGHT_BASE, else the only one with champions in the registry."""
    if name := name or TrainingSettings.from_env().base:
        return Base(name)
    bases = known_bases(configure())
    if len(bases) > 1:
        raise LookupError(f"{len(bases)} customer bases have champions ({', '.join(bases)}); choose one with "
                          "`insight serve --base NAME` (INSIGHT_BASE)")
    return Base(bases[0]) if bases else Base()


def load_from_mlflow(snapshots: Path | None = None, settings: ServingSettings | None = None,
                     base: str | None = None) -> ServingSet:
    """The champion set of `base` (see `serving_base`) and the snapshot to serve (of the current feature schema)."""
    settings = settings or ServingSettings.from_env()
    champions = load_champions(base=serving_base(base))
    root = snapshots or snapshot_store(champions.base, settings)
    if not list_snapshots(root):
        raise FileNotFoundError(f"no feature snapshot of the current feature schema under '{root}'; `insight score` "
                                "saves the one the service reads (run it with the same INSIGHT_SNAPSHOTS)")
    snapshot, as_of = serving_snapshot(root, max_days_past_data=settings.max_days_past_data,
                                       as_of=settings.snapshot_as_of)
    return prepare(champions.models, champions.versions_by_name, snapshot, as_of, "mlflow")


def loader_for(settings: ServingSettings, base: str | None = None) -> Callable[[], ServingSet]:
    """How the service (re)loads its set: from the BentoML model store, or `base` from MLflow."""
    if settings.model_source == "bentoml":
        return load_from_bento_store
    return partial(load_from_mlflow, settings=settings, base=base)
