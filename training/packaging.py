"""Trained models as MLflow pyfunc models: one registered model per task, each self-contained.

Each logged model carries the whole `CustomerModels` bundle of its run (so it can rebuild the
baseline columns with the parameters it was trained with) and answers for its own task.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from training.job import CustomerModels
from training.predict import score, with_baselines_of

TASK_OUTPUTS: dict[str, tuple[str, ...]] = {
    "segments": ("segment_id", "segment_name"),
    "churn": ("churn_probability",),
    "next_purchase": ("expected_orders", "p_purchase_30d", "p_purchase_90d", "expected_next_purchase_date",
                      "next_purchase_after_horizon"),
    "clv": ("predicted_clv",),
}
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
        if task not in TASK_OUTPUTS:
            raise ValueError(f"task must be one of {', '.join(TASK_OUTPUTS)}; got {task!r}")
        self.task = task

    def load_context(self, context) -> None:
        self.models = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = with_baselines_of(self.models, model_input)
        scored = score(self.models, frame)
        return scored[["customer_id", *TASK_OUTPUTS[self.task]]]
