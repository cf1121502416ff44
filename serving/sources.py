"""Where the service loads its champion set from, chosen by INSIGHT_MODEL_SOURCE.

`mlflow` (default): each task's `champion` alias from the registry at the configured tracking URI,
and the latest snapshot under the snapshot store (INSIGHT_SNAPSHOTS). `bentoml`: the set imported
into the BentoML model store by `insight serve --build`; a built Bento sets this itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from features.pipeline import load_latest_snapshot
from serving.bento_store import load_from_bento_store
from serving.settings import ServingSettings
from serving.state import ServingSet, prepare
from training.bases import Base
from training.champions import known_bases, load_champions
from training.tracking import configure


def serving_base() -> Base:
    """The base to serve: INSIGHT_BASE, else the only one with champions in the registry."""
    if name := os.environ.get("INSIGHT_BASE"):
        return Base(name)
    bases = known_bases(configure())
    if len(bases) > 1:
        raise LookupError(f"{len(bases)} customer bases have champions ({', '.join(bases)}); choose one with "
                          "`insight serve --base NAME` (INSIGHT_BASE)")
    return Base(bases[0]) if bases else Base()


def load_from_mlflow(snapshots: Path | None = None) -> ServingSet:
    """The base's champion set and the newest snapshot of the current feature schema."""
    champions = load_champions(base=serving_base())
    root = snapshots or champions.base.snapshot_root()
    try:
        snapshot, as_of = load_latest_snapshot(root)
    except FileNotFoundError:
        raise FileNotFoundError(f"no feature snapshot of the current feature schema under '{root}'; `insight score` "
                                "saves the one the service reads (run it with the same INSIGHT_SNAPSHOTS)") from None
    return prepare(champions.models, champions.versions_by_name, snapshot, as_of, "mlflow")


def loader_for(settings: ServingSettings) -> Callable[[], ServingSet]:
    return load_from_bento_store if settings.model_source == "bentoml" else load_from_mlflow
