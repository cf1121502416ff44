"""MLflow around the training job: log a run, register the four models, promote the set.

Every version is registered first; then one champion-set version records them together and its
alias is moved in one write (see `training.champions`), so the loader sees the old set or the new
one whatever moment the run is killed at. Whether the new set is promoted is `training.promotion`'s
decision; otherwise it gets the `challenger` alias and the run's tags say why.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
from training.bases import TRAINING_EXPERIMENT, Base
from training.champions import (
    CHALLENGER,
    CHAMPION,
    champion_bundle,
    current_set,
    record_set,
    sync_task_aliases,
    task_bundle,
)
from training.config import TrainConfig, artifact_root, tracking_uri
from training.evaluation import wide
from training.job import Progress, TrainingOutcome
from training.mlflow_quiet import quiet_mlflow
from training.packaging import BUNDLE_FILE, TaskModel, save_bundle
from training.promotion import Comparison, SetDecision, best_baseline, challenger_score, champion_score, decide
from training.recovery import mark_orphans, owner_tags, private_tempdir, remove_stale_folders
from training.tasks import CHURN, CLV, NEXT_PURCHASE, TASKS

EXPERIMENT = TRAINING_EXPERIMENT
__all__ = ["CHALLENGER", "CHAMPION", "champion_bundle", "configure", "data_fingerprint", "log_training_run"]

VALIDATION_TAG, METRIC_TAG = "validation_score", "validation_metric"


@dataclass(frozen=True)
class Registration:
    """What happened to one task's model in the registry."""

    task: str
    name: str
    version: str
    alias: str
    reason: str
    score: float
    """The figure the promotion used: the validation table's, for the chosen candidate."""
    champion_score: float | None = None


def configure(experiment: str = EXPERIMENT) -> MlflowClient:
    """Point MLflow at the configured store and make sure the experiment exists (`tracking_uri`
    refuses a damaged local store before MLflow writes to it)."""
    quiet_mlflow()
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


def recover(client: MlflowClient, base: Base) -> list[str]:
    """Clear what killed runs left: RUNNING runs of dead processes, their temporary folders, and
    per-task aliases behind the champion set. Returns the runs marked KILLED."""
    experiment = mlflow.get_experiment_by_name(base.experiment())
    orphans = mark_orphans(client, [experiment.experiment_id]) if experiment else []
    remove_stale_folders()
    sync_task_aliases(client, base)
    return orphans


@contextmanager
def training_run(config: TrainConfig, base: Base = Base(), client: MlflowClient | None = None) -> Iterator[Any]:
    """The MLflow run of one training, opened before any work so its duration is the job's, with every
    temporary file in a folder of its own; recovers from earlier killed runs first. A failure inside
    ends it FAILED."""
    client = client or configure(base.experiment())
    recover(client, base)
    with private_tempdir(), mlflow.start_run(
            run_name=f"train {base.name} as_of={config.as_of} h={config.horizon_days}",
            tags={"job": "train", "base": base.name, **owner_tags()}) as run:
        yield run


def promotion_decision(client: MlflowClient, outcome: TrainingOutcome, base: Base = Base()) -> SetDecision:
    """Compare this run's four models with the base's champion set on data neither was fitted on."""
    champion_set = current_set(client, base)
    comparisons = {}
    for task in TASKS:
        metric = TASKS[task].metric
        champion, how = None, "no champion yet"
        if champion_set is not None and task in champion_set.versions:
            version = champion_set.versions[task]
            bundle = task_bundle(client, base, task, version)
            tags = client.get_model_version(base.model_name(task), version).tags or {}
            recorded = float(tags[VALIDATION_TAG]) if tags.get(METRIC_TAG) == metric and VALIDATION_TAG in tags else None
            champion, how = champion_score(task, bundle, recorded, outcome)
            how = f"v{version}: {how}"
        comparisons[task] = Comparison(task, metric, challenger_score(outcome, task), champion,
                                       best_baseline(outcome, task), how)
    return decide(comparisons)


def log_training_run(outcome: TrainingOutcome, config: TrainConfig, fingerprint: dict[str, Any],
                     client: MlflowClient | None = None, *, base: Base = Base(),
                     progress: Progress | None = None) -> tuple[str, list[Registration]]:
    """Log one training run with metrics, plots and the four models; register them, then promote
    the set in one step or record it as the challenger. Logs into the active run if there is one
    (see `training_run`), else opens its own."""
    client = client or configure(base.experiment())
    step = progress or (lambda _: None)
    active = mlflow.active_run()
    with _reuse(active) if active is not None else training_run(config, base, client) as run:
        step("logging metrics and plots")
        _log_outcome(outcome, config, fingerprint)
        step("comparing with the champion set")
        decision = promotion_decision(client, outcome, base)
        versions = {}
        with tempfile.TemporaryDirectory() as tmp:
            bundle = save_bundle(outcome.models, Path(tmp) / BUNDLE_FILE)
            sample = outcome.scoring_frame.drop(columns=list(BASELINE_COLUMNS)).head(20)
            for task, comparison in decision.comparisons.items():
                step(f"registering {task}")
                versions[task] = _register(client, base, task, outcome, bundle, sample, comparison)
        alias = CHAMPION if decision.promote else CHALLENGER
        step(f"recording the set as {alias}")
        champion_set = record_set(client, base, versions, alias=alias, run_id=run.info.run_id,
                                  source=f"{run.info.artifact_uri}/champion_set.json", reason=decision.reason)
        step("moving the per-task aliases")
        if decision.promote:
            sync_task_aliases(client, base, champion_set)
        registrations = []
        for task, comparison in decision.comparisons.items():
            name = base.model_name(task)
            if not decision.promote:
                client.set_registered_model_alias(name, CHALLENGER, versions[task])
            reason = f"{comparison.describe()}; set {decision.reason}"
            client.set_model_version_tag(name, versions[task], "promotion", reason)
            mlflow.set_tag(f"promotion.{task}", f"{alias}: {reason}")
            registrations.append(Registration(task, name, versions[task], alias, reason, comparison.score,
                                              comparison.champion))
        mlflow.set_tags({"promotion": f"{alias}: {decision.reason}", "champion_set_version": champion_set.version})
        mlflow.log_dict({"base": base.name, "set_version": champion_set.version, "alias": alias,
                         "reason": decision.reason, "models": {base.model_name(t): v for t, v in versions.items()}},
                        "champion_set.json")
        step("done")
    return run.info.run_id, registrations


@contextmanager
def _reuse(run: Any) -> Iterator[Any]:
    yield run


def _register(client: MlflowClient, base: Base, task: str, outcome: TrainingOutcome, bundle: Path,
              sample: pd.DataFrame, comparison: Comparison) -> str:
    """Log and register one task's model; the version carries its validation figure, no alias yet."""
    pyfunc = TaskModel(task)
    pyfunc.models = outcome.models
    signature = infer_signature(sample, pyfunc.predict(None, sample))
    info = mlflow.pyfunc.log_model(
        name=task, python_model=TaskModel(task), artifacts={"bundle": str(bundle)}, signature=signature,
        registered_model_name=base.model_name(task), pip_requirements=_requirements(),
    )
    version = str(info.registered_model_version)
    if np.isfinite(comparison.score):
        client.set_model_version_tag(base.model_name(task), version, VALIDATION_TAG, repr(comparison.score))
        client.set_model_version_tag(base.model_name(task), version, METRIC_TAG, comparison.metric)
    return version


def _log_outcome(outcome: TrainingOutcome, config: TrainConfig, fingerprint: dict[str, Any]) -> None:
    models = outcome.models
    mlflow.log_params({k: (json.dumps(v) if isinstance(v, (list, tuple, dict)) else v)
                       for k, v in config.model_dump(mode="json").items()})
    mlflow.log_params({f"chosen_{task}": choice for task, choice in outcome.choices.items()})
    mlflow.log_params({f"data_{k}": v for k, v in fingerprint.items()})
    mlflow.log_params({f"examples_{k}": v for k, v in outcome.counts.items()})
    mlflow.set_tags({"validation_scheme": outcome.scheme, "validation": outcome.scheme_description})
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


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("pandas", "numpy", "scikit-learn", "lightgbm", "scipy", "mlflow")]


def _candidates(predictions: pd.DataFrame, task: str) -> dict[str, np.ndarray]:
    """The validation predictions of `task`'s candidates but the heuristic, by candidate name."""
    prefix = f"{task}_"
    return {n.removeprefix(prefix): predictions[n].to_numpy() for n in predictions.columns
            if n.startswith(prefix) and n != f"{prefix}heuristic"}


def _log_figures(outcome: TrainingOutcome) -> None:
    p = outcome.valid_predictions
    churned = p[CHURN.label].to_numpy(dtype=float)
    churn_scores = _candidates(p, CHURN.name)
    figures = {
        "plots/churn_gains.png": plots.gains_figure(churned, churn_scores, "churn: cumulative gains"),
        "plots/churn_calibration.png": plots.calibration_figure(churned, churn_scores, "churn: calibration"),
        "plots/orders_calibration.png": plots.orders_figure(
            p[NEXT_PURCHASE.label].to_numpy(dtype=float), _candidates(p, NEXT_PURCHASE.name)),
        "plots/segments.png": plots.segment_figure(outcome.models.segments.profiles_),
    }
    m = outcome.models
    for task, model in ((CHURN, m.churn), (NEXT_PURCHASE, m.next_purchase), (CLV, m.clv)):
        importance = model.importance()
        if importance is not None:
            figures[f"plots/importance_{task.name}.png"] = plots.importance_figure(
                importance, f"{task.name}: feature importance")
    for path, figure in figures.items():
        mlflow.log_figure(figure, path)
        plots.plt.close(figure)
