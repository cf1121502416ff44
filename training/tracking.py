"""MLflow around the training job: log a run, register the four models, promote champions.

A new version becomes `champion` only when it beats the current champion on this run's holdout
(the champion is re-scored on the same customers) and is at least as good as every baseline;
otherwise it gets the `challenger` alias and the run's tags say why.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from training import plots
from training.baselines import BASELINE_COLUMNS
from training.config import MODEL_NAMES, TrainConfig, artifact_root, tracking_uri
from training.evaluation import SELECTION_METRIC, score_task, segment_silhouette, wide
from training.job import CustomerModels, TrainingOutcome
from training.packaging import BUNDLE_FILE, TaskModel, load_bundle, save_bundle
from training.store_health import champion_files, check_tracking_store

EXPERIMENT = "customer-insight"
CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class Registration:
    """What happened to one task's model in the registry."""

    task: str
    name: str
    version: str
    alias: str
    reason: str


def configure(experiment: str = EXPERIMENT) -> MlflowClient:
    """Point MLflow at the configured store and make sure the experiment exists; a damaged local
    store is refused first (DamagedStore), before MLflow writes to it."""
    check_tracking_store(tracking_uri())
    mlflow.set_tracking_uri(tracking_uri())
    if mlflow.get_experiment_by_name(experiment) is None:
        uri = tracking_uri()
        location = artifact_root() if uri.startswith("sqlite:") else None
        mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)
    return MlflowClient()


def data_fingerprint(transactions: pd.DataFrame) -> dict[str, Any]:
    """Row count, customers, date range and a content hash of the transactions used."""
    hashed = pd.util.hash_pandas_object(transactions[["customer_id", "order_id", "timestamp", "amount"]],
                                        index=False)
    digest = hashlib.sha256(np.sort(hashed.to_numpy()).tobytes()).hexdigest()[:16]
    return {
        "rows": len(transactions),
        "customers": int(transactions["customer_id"].nunique()),
        "first_timestamp": str(transactions["timestamp"].min()),
        "last_timestamp": str(transactions["timestamp"].max()),
        "sha256_16": digest,
    }


def champion_bundle(client: MlflowClient, task: str) -> tuple[CustomerModels | None, str | None]:
    """The current champion's bundle for `task`, with its version (None when there is none)."""
    name = MODEL_NAMES[task]
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None, None
    with champion_files(name, version.version):
        path = mlflow.artifacts.download_artifacts(f"models:/{name}@{CHAMPION}")
        return load_bundle(Path(path) / "artifacts" / BUNDLE_FILE), version.version


def champion_versions(client: MlflowClient | None = None) -> dict[str, str]:
    """Registered name -> champion version, for the tasks that have one."""
    client = client or configure()
    versions = {}
    for name in MODEL_NAMES.values():
        try:
            versions[name] = client.get_model_version_by_alias(name, CHAMPION).version
        except mlflow.exceptions.MlflowException:
            continue
    return versions


def _holdout_score(task: str, models: CustomerModels, valid: pd.DataFrame) -> float:
    """One model's selection metric on the holdout frame (segments: silhouette)."""
    if task == "segments":
        return segment_silhouette(models.segments, valid)
    if task == "orders":
        predicted = models.next_purchase.expected_orders(valid)
    elif task == "churn":
        predicted = models.churn.predict_proba(valid)
    else:
        predicted = models.clv.predict(valid)
    metric, _ = SELECTION_METRIC[task]
    return float(score_task(task, valid, predicted, probability=False)[metric])


def _decide(task: str, new: float, champion: float | None, best_baseline: float | None) -> tuple[bool, str]:
    higher_better = task == "segments" or SELECTION_METRIC[task][1] == "max"
    metric = "silhouette" if task == "segments" else SELECTION_METRIC[task][0]

    def better(a: float, b: float) -> bool:
        return a > b if higher_better else a < b

    if best_baseline is not None and better(best_baseline, new):
        return False, f"{metric} {new:.4f} is worse than the best baseline's {best_baseline:.4f}"
    if champion is None:
        return True, f"no champion yet; {metric} {new:.4f} on the holdout"
    if better(new, champion):
        return True, f"{metric} {new:.4f} beats the champion's {champion:.4f} on the same holdout"
    return False, f"{metric} {new:.4f} does not beat the champion's {champion:.4f} on the same holdout"


_TASK_OF_METRIC = {"segments": "segments", "churn": "churn", "next_purchase": "orders", "clv": "clv"}


def promotion_decisions(client: MlflowClient, outcome: TrainingOutcome) -> dict[str, tuple[bool, str, Any]]:
    """For each registered task: promote or not, why, and the champion version compared."""
    table = outcome.validation
    decisions = {}
    for task, metric_task in _TASK_OF_METRIC.items():
        new = _holdout_score(metric_task, outcome.models, outcome.valid_frame)
        champion, version = champion_bundle(client, task)
        champion_score = None
        reason_prefix = ""
        if champion is not None:
            try:
                champion_score = _holdout_score(metric_task, champion, outcome.valid_frame)
            except (ValueError, KeyError) as exc:
                reason_prefix = f"champion v{version} cannot score this holdout ({exc}); "
        best_baseline = None
        if metric_task != "segments":
            metric, direction = SELECTION_METRIC[metric_task]
            rows = table[(table.task == metric_task) & (table.metric == metric)
                         & ~table.candidate.isin(["gbm", "heuristic"])]["value"].dropna()
            if not rows.empty:
                best_baseline = float(rows.min() if direction == "min" else rows.max())
        promote, reason = _decide(metric_task, new, champion_score, best_baseline)
        decisions[task] = (promote, reason_prefix + reason, version)
    return decisions


def log_training_run(outcome: TrainingOutcome, config: TrainConfig, fingerprint: dict[str, Any],
                     client: MlflowClient | None = None) -> tuple[str, list[Registration]]:
    """Log one training run with metrics, plots and the four models; register and alias them."""
    client = client or configure()
    models = outcome.models
    with mlflow.start_run(run_name=f"train as_of={config.as_of} h={config.horizon_days}") as run:
        mlflow.log_params({k: (json.dumps(v) if isinstance(v, (list, tuple, dict)) else v)
                           for k, v in config.model_dump(mode="json").items()})
        mlflow.log_params({f"chosen_{task}": choice for task, choice in outcome.choices.items()})
        mlflow.log_params({f"data_{k}": v for k, v in fingerprint.items()})
        mlflow.log_params({f"examples_{k}": v for k, v in outcome.counts.items()})
        mlflow.set_tags({"job": "train", "validation_scheme": outcome.scheme,
                         "validation": outcome.scheme_description})
        for row in outcome.validation.itertuples():
            if np.isfinite(row.value):
                mlflow.log_metric(f"{row.task}.{row.candidate}.{row.metric}", float(row.value))
        mlflow.log_text(wide(outcome.validation).to_string(float_format=lambda v: f"{v:.4f}"), "validation.txt")
        mlflow.log_table(outcome.validation, "validation.json")
        mlflow.log_dict(models.baselines.params_, "baseline_params.json")
        _log_figures(outcome)
        profiles = models.segments.profiles_
        mlflow.log_table(profiles, "segment_profiles.json")
        mlflow.log_metric("segments.count", len(profiles))
        moved = getattr(models.segments, "moved_", None)
        if moved is not None:
            mlflow.log_metric("segments.customers_moved", int(moved))

        decisions = promotion_decisions(client, outcome)
        sample = outcome.scoring_frame.drop(columns=list(BASELINE_COLUMNS)).head(20)
        registrations = []
        with tempfile.TemporaryDirectory() as tmp:
            bundle = save_bundle(models, Path(tmp) / BUNDLE_FILE)
            for task, registered_name in MODEL_NAMES.items():
                pyfunc = TaskModel(task)
                pyfunc.models = models
                signature = infer_signature(sample, pyfunc.predict(None, sample))
                info = mlflow.pyfunc.log_model(
                    name=task, python_model=TaskModel(task), artifacts={"bundle": str(bundle)},
                    signature=signature, registered_model_name=registered_name,
                    pip_requirements=_requirements(),
                )
                version = str(info.registered_model_version)
                promote, reason, _ = decisions[task]
                alias = CHAMPION if promote else CHALLENGER
                client.set_registered_model_alias(registered_name, alias, version)
                client.set_model_version_tag(registered_name, version, "promotion", reason)
                mlflow.set_tag(f"promotion.{task}", f"{alias}: {reason}")
                registrations.append(Registration(task, registered_name, version, alias, reason))
    return run.info.run_id, registrations


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("pandas", "numpy", "scikit-learn", "lightgbm", "scipy", "mlflow")]


def _log_figures(outcome: TrainingOutcome) -> None:
    p = outcome.valid_predictions
    churned = p["label_churned"].to_numpy(dtype=float)
    churn_scores = {n.removeprefix("churn_"): p[n].to_numpy() for n in p.columns
                    if n.startswith("churn_") and n != "churn_heuristic"}
    figures = {
        "plots/churn_gains.png": plots.gains_figure(churned, churn_scores, "churn: cumulative gains"),
        "plots/churn_calibration.png": plots.calibration_figure(churned, churn_scores, "churn: calibration"),
        "plots/orders_calibration.png": plots.orders_figure(
            p["label_orders"].to_numpy(dtype=float),
            {n.removeprefix("orders_"): p[n].to_numpy() for n in p.columns
             if n.startswith("orders_") and n != "orders_heuristic"},
        ),
        "plots/segments.png": plots.segment_figure(outcome.models.segments.profiles_),
    }
    m = outcome.models
    for name, model in (("churn", m.churn.model_), ("orders", m.next_purchase.count_model_), ("clv", m.clv.model_)):
        figures[f"plots/importance_{name}.png"] = plots.importance_figure(model.importance(), f"{name}: feature importance")
    for path, figure in figures.items():
        mlflow.log_figure(figure, path)
        plots.plt.close(figure)
