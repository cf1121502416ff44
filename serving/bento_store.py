"""The champion set in the BentoML model store, so a built Bento serves where MLflow is unreachable.

One BentoML model, `customer-insight-champions`, holds the composed champion bundle, the feature
snapshot it serves (in the snapshot store's own layout, so its metadata checks still apply) and
the registered versions as metadata.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import bentoml

from features.pipeline import list_snapshots, load_latest_snapshot, serving_snapshot, snapshot_path
from serving.settings import BENTO_MODEL_NAME, ServingSettings, snapshot_store
from serving.state import ServingSet, prepare
from training.champions import Champions, load_champions
from training.packaging import BUNDLE_FILE, load_bundle, save_bundle


def save_to_bento_store(champions: Champions, snapshot_file: Path, as_of: dt.date) -> bentoml.Tag:
    """Import the champions and the snapshot of `as_of` as a new version of the BentoML model."""
    metadata = {"model_versions": champions.versions_by_name, "snapshot_as_of": as_of.isoformat()}
    with bentoml.models.create(BENTO_MODEL_NAME, metadata=metadata,
                               labels={"source": "mlflow-registry"}) as model:
        root = Path(model.path)
        save_bundle(champions.models, root / BUNDLE_FILE)
        target = snapshot_path(root / "snapshots", as_of)
        target.parent.mkdir(parents=True)
        shutil.copyfile(snapshot_file, target)
    return model.tag


def load_from_bento_store(tag: str = f"{BENTO_MODEL_NAME}:latest") -> ServingSet:
    """The champion set saved by `save_to_bento_store` (the newest one by default)."""
    try:
        model = bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        raise LookupError(
            f"no '{tag}' in the BentoML model store; run `insight serve --build` where MLflow is reachable"
        ) from None
    root = Path(model.path)
    snapshot, as_of = load_latest_snapshot(root / "snapshots")
    versions = {str(k): str(v) for k, v in model.info.metadata["model_versions"].items()}
    return prepare(load_bundle(root / BUNDLE_FILE), versions, snapshot, as_of, "bentoml")


def build_bento(bentofile: Path, base: str | None = None) -> tuple[bentoml.Tag, bentoml.Tag]:
    """Import the champions of `base` (see `serving_base`) and the snapshot the service would serve,
    then build the Bento of `bentofile`.

    Returns (model tag, Bento tag). The Bento carries the model, so it serves without MLflow.
    """
    from serving.sources import serving_base

    settings = ServingSettings.from_env()
    champions = load_champions(base=serving_base(base))
    root = snapshot_store(champions.base, settings)
    if not list_snapshots(root):
        raise FileNotFoundError(f"no feature snapshot under '{root}'; run `insight score` first")
    _, as_of = serving_snapshot(root, max_days_past_data=settings.max_days_past_data, as_of=settings.snapshot_as_of)
    model_tag = save_to_bento_store(champions, snapshot_path(root, as_of), as_of)
    bento = bentoml.bentos.build_bentofile(str(bentofile), build_ctx=str(bentofile.resolve().parent))
    return model_tag, bento.tag
