"""Per-feature contributions of every served churn and CLV model, on the model's raw scale.

Trees (and blends of a tree model with a baseline) explain themselves (`ChurnModel.contributions`,
`ClvModel.contributions`). A pure BTYD model has no trees: its prediction is a function of the
customer's BTYD summary (frequency, recency, age and, for spend, average order value), and its
contributions are the exact Shapley values of those inputs against the median customer of the
training snapshot (Lundberg & Lee's interventional SHAP with one reference, computed over all
2^k coalitions: k is 3 or 4).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from training.baselines import SUMMARY_COLUMNS, Baselines
from training.job import CustomerModels
from training.models.churn import BASELINE_METHODS
from training.models.clv import BASELINE_COLUMN as CLV_BASELINE_COLUMN
from training.models.gbm import offset_link
from training.tasks import CHURN, CLV

COUNT_INPUTS = SUMMARY_COLUMNS[:3]


def contributions(models: CustomerModels, frame: pd.DataFrame, task: str) -> pd.DataFrame:
    """Contributions (one column per feature, no baseline column) to churn log-odds or log spend."""
    if task == "churn":
        model = models.churn
        if model.method in BASELINE_METHODS:
            column = BASELINE_METHODS[model.method]
            return btyd_shapley(models, frame, COUNT_INPUTS, lambda b: offset_link(1.0 - b[column], CHURN.objective))
        return model.contributions(frame).drop(columns=["baseline"])
    if task == "clv":
        if models.clv.method == "baseline":
            return btyd_shapley(models, frame, SUMMARY_COLUMNS,
                                lambda b: offset_link(np.clip(b[CLV_BASELINE_COLUMN], 0.0, None), CLV.objective))
        return models.clv.contributions(frame).drop(columns=["baseline"])
    raise ValueError(f"explanations exist for churn and clv; got {task!r}")


def btyd_shapley(models: CustomerModels, frame: pd.DataFrame, inputs: tuple[str, ...],
                 raw: Callable[[pd.DataFrame], np.ndarray]) -> pd.DataFrame:
    """Shapley values of `inputs` for `raw(baseline columns)` against the reference customer."""
    reference = _reference(models, frame, inputs)
    values = {}
    for size in range(len(inputs) + 1):
        for coalition in combinations(inputs, size):
            values[coalition] = np.asarray(raw(_transform(models.baselines, frame, reference, coalition)), dtype=float)
    n = len(inputs)
    out = pd.DataFrame(0.0, index=frame.index, columns=list(inputs))
    for feature in inputs:
        others = [f for f in inputs if f != feature]
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for coalition in combinations(others, size):
                joined = tuple(f for f in inputs if f in coalition or f == feature)
                out[feature] += weight * (values[joined] - values[coalition])
    return out


def _reference(models: CustomerModels, frame: pd.DataFrame, inputs: tuple[str, ...]) -> dict[str, float]:
    """The training snapshot's median of each input (the frame's own for models trained without one)."""
    centre = getattr(models.reference, "centre", None) or {}
    return {f: float(centre[f]) if f in centre else float(np.nanmedian(frame[f].to_numpy(dtype=float)))
            for f in inputs}


def _transform(baselines: Baselines, frame: pd.DataFrame, reference: dict[str, float],
               coalition: tuple[str, ...]) -> pd.DataFrame:
    """The baseline columns with the coalition's inputs from `frame` and the others from `reference`,
    kept a valid summary (recency within age, none without a repeat purchase day)."""
    summary = pd.DataFrame({c: frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS}, index=frame.index)
    for feature, value in reference.items():
        if feature not in coalition:
            summary[feature] = value
    summary["btyd_recency"] = np.minimum(summary["btyd_recency"], summary["btyd_T"])
    repeat = summary["btyd_frequency"] > 0
    summary.loc[~repeat, ["btyd_recency", "btyd_monetary"]] = 0.0
    return baselines.transform(summary)
