"""Customer bases: one name per business, namespacing its registered models, experiments and snapshots.

Two bases trained in one checkout (CDNOW and a simulated shop, say) must never compete for one
champion or overwrite each other's snapshots. A base is named by `--base`, else INSIGHT_BASE, else
the data directory (`data/cdnow` -> `cdnow`). The base `default`, which the Python API uses when
given none, keeps the bare names (`customer-churn`, `runs/snapshots/`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from training.settings import TrainingSettings
from training.tasks import MODEL_NAMES

DEFAULT_BASE = "default"
SET_NAME = "customer-insight-champions"
"""The registered model whose `champion` version is a base's champion set (see training.champions)."""
TRAINING_EXPERIMENT = "customer-insight"
_VALID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_GENERIC_DIRS = {"transactions", "ingested", "data", "out", "output", "canonical"}


@dataclass(frozen=True)
class Base:
    """One customer base and the names its models, runs and snapshots live under."""

    name: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not _VALID.match(self.name):
            raise ValueError(
                f"--base {self.name!r}: a base name is 1-63 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )

    def _qualified(self, name: str) -> str:
        return name if self.name == DEFAULT_BASE else f"{self.name}.{name}"

    def model_name(self, task: str) -> str:
        """The registered model of `task` (see MODEL_NAMES) in this base."""
        return self._qualified(MODEL_NAMES[task])

    @property
    def model_names(self) -> dict[str, str]:
        return {task: self.model_name(task) for task in MODEL_NAMES}

    @property
    def set_name(self) -> str:
        return self._qualified(SET_NAME)

    def experiment(self, name: str = TRAINING_EXPERIMENT) -> str:
        return self._qualified(name)

    def snapshots(self, root: Path) -> Path:
        """This base's feature snapshots: a folder of its own under the snapshot store `root`."""
        return root if self.name == DEFAULT_BASE else root / "bases" / self.name


def base_from_path(path: str | os.PathLike[str]) -> str:
    """A base name from a data path: its directory's name (`data/cdnow/transactions.parquet` -> `cdnow`),
    skipping generic names like `transactions`, lowercased with other characters as '-'."""
    path = Path(path).resolve()
    parts = [path.parent.name, path.parent.parent.name] if path.suffix else [path.name, path.parent.name]
    parts = [p for p in parts if p]
    name = next((p for p in parts if p.lower() not in _GENERIC_DIRS), parts[0] if parts else DEFAULT_BASE)
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:63]
    return slug or DEFAULT_BASE


def resolve_base(name: str | None = None, data: str | os.PathLike[str] | None = None) -> Base:
    """The base to use: `name` if given, else INSIGHT_BASE, else one named after `data`, else `default`."""
    chosen = name or TrainingSettings.from_env().base or (base_from_path(data) if data is not None else None)
    return Base(chosen or DEFAULT_BASE)


def base_of_scores(scores) -> Base:
    """The base whose champions wrote a scores table, read from its `model_versions` names."""
    churn = MODEL_NAMES["churn"]
    if "model_versions" not in scores:
        return Base()
    for names in scores["model_versions"].dropna().astype(str).head(1):
        for name in json.loads(names):
            if name == churn:
                return Base()
            if name.endswith("." + churn):
                return Base(name.removesuffix("." + churn))
    return Base()
