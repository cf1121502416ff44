"""The champion set: each task's champion model from the registry, composed into one bundle.

Every registered version carries the full bundle of its run, but the champions of the four tasks
may come from different runs (a new churn model promoted, the old CLV model kept). Scoring must
use each task's own champion, so the bundle is assembled task by task.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlflow import MlflowClient

from training.config import MODEL_NAMES
from training.job import CustomerModels
from training.tracking import champion_bundle, configure

@dataclass(frozen=True)
class Champions:
    """The composed models and the registered version behind each task."""

    models: CustomerModels
    versions: dict[str, str]

    @property
    def versions_by_name(self) -> dict[str, str]:
        """Registered model name -> version, as recorded next to every score."""
        return {MODEL_NAMES[task]: version for task, version in self.versions.items()}


def load_champions(client: MlflowClient | None = None) -> Champions:
    """The four champions, downloaded once; a LookupError says what to run when one is missing."""
    client = client or configure()
    bundles: dict[str, CustomerModels] = {}
    versions: dict[str, str] = {}
    for task in MODEL_NAMES:
        models, version = champion_bundle(client, task)
        if models is None:
            raise LookupError(
                f"no champion for '{MODEL_NAMES[task]}' in the registry; run `insight train` first"
            )
        bundles[task], versions[task] = models, str(version)
    return Champions(compose(bundles), versions)


def compose(bundles: dict[str, CustomerModels]) -> CustomerModels:
    """One bundle taking each task's component from that task's champion run.

    Runs must agree on the horizon and feature schema; the channel columns are the union, so a
    model that did not see a channel simply ignores its column.
    """
    base = bundles["churn"]
    for task, models in bundles.items():
        if models.horizon_days != base.horizon_days or models.feature_schema_version != base.feature_schema_version:
            raise ValueError(
                f"the champion of '{MODEL_NAMES[task]}' predicts {models.horizon_days} days ahead with feature "
                f"schema v{models.feature_schema_version}, the churn champion {base.horizon_days} days with "
                f"v{base.feature_schema_version}; retrain all models with one horizon"
            )
    channels = sorted({channel for models in bundles.values() for channel in models.channels})
    return replace(
        base,
        channels=channels,
        **{task: getattr(models, task) for task, models in bundles.items()},
    )
