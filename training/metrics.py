"""Evaluation metrics for counts, probabilities and value, as plain functions of arrays.

The normalized Gini follows the Kaggle/insurance convention: the Gini of the predictions' ordering
of the actual values divided by the Gini of the perfect ordering, so 1 is perfect ranking and 0 is
random. It is the usual yardstick for lifetime-value models with many zeros.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def _arrays(actual, predicted) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if a.shape != p.shape:
        raise ValueError(f"actual has shape {a.shape} but predicted has {p.shape}")
    if a.size == 0:
        raise ValueError("cannot score an empty set of customers")
    return a, p


def rmse(actual, predicted) -> float:
    """Root mean squared error."""
    a, p = _arrays(actual, predicted)
    return float(np.sqrt(np.mean((a - p) ** 2)))


def mae(actual, predicted) -> float:
    """Mean absolute error."""
    a, p = _arrays(actual, predicted)
    return float(np.mean(np.abs(a - p)))


def total_ratio(actual, predicted) -> float:
    """Predicted total / actual total: 1.0 means the aggregate forecast is right."""
    a, p = _arrays(actual, predicted)
    return float(p.sum() / a.sum()) if a.sum() else float("nan")


def gini(actual, predicted) -> float:
    """Gini of the ordering of `actual` by descending `predicted` (ties keep input order)."""
    a, p = _arrays(actual, predicted)
    order = np.lexsort((np.arange(a.size), -p))
    cumulative = np.cumsum(a[order]) / a.sum()
    return float(cumulative.sum() / a.size - (a.size + 1) / (2 * a.size))


def normalized_gini(actual, predicted) -> float:
    """Gini of the predictions divided by the Gini of the actual values themselves."""
    a, _ = _arrays(actual, predicted)
    perfect = gini(a, a)
    return float(gini(actual, predicted) / perfect) if perfect else float("nan")


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    y, s = _arrays(labels, scores)
    if np.unique(y).size < 2:
        return float("nan")
    return float(roc_auc_score(y, s))


def probability_scores(labels, probabilities) -> dict[str, float]:
    """ROC-AUC, log loss and Brier score of predicted probabilities."""
    y, p = _arrays(labels, probabilities)
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "roc_auc": roc_auc(y, p),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
    }


def count_scores(actual, predicted) -> dict[str, float]:
    """RMSE, MAE and the total ratio of predicted order counts."""
    return {"rmse": rmse(actual, predicted), "mae": mae(actual, predicted),
            "total_ratio": total_ratio(actual, predicted)}


def value_scores(actual, predicted) -> dict[str, float]:
    """Normalized Gini, RMSE, MAE and total ratio of predicted spend."""
    return {"gini": normalized_gini(actual, predicted), "rmse": rmse(actual, predicted),
            "mae": mae(actual, predicted), "total_ratio": total_ratio(actual, predicted)}


def lift_table(labels, scores, bins: int = 10) -> np.ndarray:
    """Cumulative gains: share of positives captured in the top 1..bins deciles of `scores`."""
    y, s = _arrays(labels, scores)
    order = np.argsort(-s, kind="stable")
    edges = np.linspace(0, y.size, bins + 1).round().astype(int)[1:]
    captured = np.cumsum(y[order])
    return captured[edges - 1] / y.sum() if y.sum() else np.zeros(bins)


def calibration_table(labels, probabilities, bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean predicted probability, observed rate and count per equal-count bin."""
    y, p = _arrays(labels, probabilities)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, bins)
    groups = [g for g in groups if g.size]
    return (np.array([p[g].mean() for g in groups]), np.array([y[g].mean() for g in groups]),
            np.array([g.size for g in groups]))
