"""Trained models as MLflow pyfunc models: one registered model per task, each self-contained.

Each logged model carries the whole `CustomerModels` bundle of its run (so it can rebuild the
baseline columns with the parameters it was trained with) and answers for its own task: a scoring
frame's features in, through the later steps of `training.predict.score` (stored baselines, the
four models, output rows), that task's output columns (`training.tasks`) out.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from training.job import CustomerModels
from training.predict import score_frame, with_baselines_of
from training.tasks import task as task_record

BUNDLE_FILE = "customer_models.pkl"


def save_bundle(models: CustomerModels, path: Path) -> Path:
    """Pickle the bundle (LightGBM, scikit-learn and the BTYD parameters) to `path`."""
    with path.open("wb") as handle:
        pickle.dump(models, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_bundle(path: str | Path) -> CustomerModels:
    with Path(path).open("rb") as handle:
        return pickle.load(handle)


class TaskModel(mlflow.pyfunc.PythonModel):
    """The pyfunc face of one task: a scoring frame in, that task's output columns out."""

    def __init__(self, task: str) -> None:
        self.task = task_record(task).name

    def load_context(self, context) -> None:
        self.models = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        scored = score_frame(self.models, with_baselines_of(self.models, model_input))
        return scored[["customer_id", *task_record(self.task).outputs]]
