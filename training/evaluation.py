"""Models against baselines on labelled customers: one tidy table, one row per candidate and metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn.metrics import silhouette_score

from training import metrics
from training.heuristics import heuristic_predictions
from training.models.next_purchase import baseline_orders
from training.tasks import CHURN, CLV, NEXT_PURCHASE, TASKS


def candidate_predictions(frame: pd.DataFrame, horizon_days: int) -> dict[str, dict[str, np.ndarray]]:
    """Predictions of the baselines and heuristics, per task and candidate name."""
    h = heuristic_predictions(frame, horizon_days)
    return {
        NEXT_PURCHASE.name: {
            "bgnbd": frame["bgnbd_expected_orders"].to_numpy(),
            "pnbd": frame["pnbd_expected_orders"].to_numpy(),
            "btyd_mean": baseline_orders(frame, "btyd_mean"),
            "heuristic": h["heuristic_orders"].to_numpy(),
        },
        CHURN.name: {
            "bgnbd": 1.0 - frame["bgnbd_p_purchase"].to_numpy(),
            "pnbd": 1.0 - frame["pnbd_p_purchase"].to_numpy(),
            "heuristic": h["heuristic_churn_score"].to_numpy(),
        },
        CLV.name: {
            "bgnbd_gg": frame["bgnbd_gg_spend"].to_numpy(),
            "heuristic": h["heuristic_spend"].to_numpy(),
        },
    }


def score_task(task: str, labels: pd.DataFrame, predicted: np.ndarray, *, probability: bool) -> dict[str, float]:
    """The task's metrics for one candidate, on the task's label column of `labels`."""
    if task == NEXT_PURCHASE.name:
        return metrics.count_scores(labels[NEXT_PURCHASE.label], predicted)
    if task == CHURN.name:
        churned = labels[CHURN.label].to_numpy(dtype=float)
        if probability:
            return metrics.probability_scores(churned, predicted)
        return {"roc_auc": metrics.roc_auc(churned, predicted)}
    if task == CLV.name:
        spend = np.clip(labels[CLV.label].to_numpy(dtype=float), 0, None)
        return metrics.value_scores(spend, predicted)
    raise ValueError(f"no validation metrics for the task {task!r}")


def evaluation_table(labels: pd.DataFrame, candidates: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """Long table (task, candidate, metric, value) for every candidate of every task."""
    rows = []
    for task, by_name in candidates.items():
        for name, predicted in by_name.items():
            probability = task == CHURN.name and name != "heuristic"
            for metric, value in score_task(task, labels, predicted, probability=probability).items():
                rows.append({"task": task, "candidate": name, "metric": metric, "value": value})
    return pd.DataFrame(rows)


def best_candidate(table: pd.DataFrame, task: str, among: tuple[str, ...]) -> str:
    """The candidate with the best selection metric of `task` among `among`."""
    metric, direction = TASKS[task].metric, TASKS[task].direction
    rows = table[(table.task == task) & (table.metric == metric) & table.candidate.isin(among)]
    rows = rows.dropna(subset=["value"])
    if rows.empty:
        return among[0]
    pick = rows["value"].idxmin() if direction == "min" else rows["value"].idxmax()
    return str(rows.loc[pick, "candidate"])


def segment_silhouette(segments, frame: pd.DataFrame, sample_size: int = 5000, seed: int = 0) -> float:
    """Silhouette of a segmentation model's segments on `frame`, in the model's own scaled space.

    Computed on a fixed, seeded sample so a new model and the champion are judged on the same
    customers; NaN when fewer than two segments occur.
    """
    labels = np.asarray(segments.predict(frame))
    if np.unique(labels).size < 2:
        return float("nan")
    X = segments.transform_.transform(frame)
    return float(silhouette_score(X, labels, sample_size=min(sample_size, len(labels)), random_state=seed))


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """The long table pivoted to one row per (task, candidate), one column per metric."""
    wide_table = table.set_index(["task", "candidate", "metric"])["value"].unstack("metric")
    order = {key: i for i, key in enumerate(dict.fromkeys(zip(table.task, table.candidate, strict=True)))}
    metric_order = list(dict.fromkeys(table.metric))
    return wide_table.loc[sorted(wide_table.index, key=order.get), metric_order]
