"""Where the service loads its champion set from, chosen by INSIGHT_MODEL_SOURCE.

`mlflow` (default): each task's `champion` alias from the registry at the configured tracking URI,
and the latest snapshot under the snapshot store (INSIGHT_SNAPSHOTS). `bentoml`: the set imported
into the BentoML model store by `insight serve --build`; a built Bento sets this itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from features.pipeline import load_latest_snapshot
from serving.bento_store import load_from_bento_store
from serving.settings import ServingSettings
from serving.state import ServingSet, prepare
from training.champions import load_champions
from training.config import snapshot_root


def load_from_mlflow(snapshots: Path | None = None) -> ServingSet:
    """The registry's champions and the newest snapshot of the current feature schema."""
    champions = load_champions()
    root = snapshots or snapshot_root()
    try:
        snapshot, as_of = load_latest_snapshot(root)
    except FileNotFoundError:
        raise FileNotFoundError(f"no feature snapshot of the current feature schema under '{root}'; `insight score` "
                                "saves the one the service reads (run it with the same INSIGHT_SNAPSHOTS)") from None
    return prepare(champions.models, champions.versions_by_name, snapshot, as_of, "mlflow")


def loader_for(settings: ServingSettings) -> Callable[[], ServingSet]:
    return load_from_bento_store if settings.model_source == "bentoml" else load_from_mlflow
