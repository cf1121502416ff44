"""MLflow around monitoring: the champions' training run and its validation, and one monitoring run
logged beside it (same experiment, tagged with the training run id) for the report to find."""

from __future__ import annotations

import json

import mlflow
import numpy as np
from mlflow import MlflowClient

from training.champions import Champions
from training.monitor import Monitoring
from training.recovery import owned_run
from training.tracking import configure

MONITOR_JOB = "monitor"


def training_run_of(champions: Champions, client: MlflowClient, task: str = "churn") -> str:
    """The MLflow run that trained `task`'s champion."""
    return client.get_model_version(champions.base.model_name(task), champions.versions[task]).run_id


def validation_metrics(run_id: str, client: MlflowClient) -> dict[str, float]:
    """The training run's logged metrics (task.candidate.metric -> value)."""
    return dict(client.get_run(run_id).data.metrics)


def monitoring_text(result: Monitoring) -> str:
    """The three tables as plain text, for MLflow and the training report."""
    fmt = lambda v: f"{v:.4f}"  # noqa: E731
    return "\n\n".join([
        f"as of {result.as_of}, {result.horizon_days} days to {result.window_end}, {result.customers:,} customers",
        "by decile of predicted purchase likelihood (1 = most likely)\n"
        + result.deciles.to_string(index=False, float_format=fmt),
        "by segment\n" + result.segments.to_string(index=False, float_format=fmt),
        "captured by the top of the ranking\n" + result.captured.to_string(index=False, float_format=fmt),
        "quality\n" + "\n".join(f"{k}: {v:.4f}" for k, v in result.quality.items()),
        *(["warnings\n" + "\n".join(result.warnings)] if result.warnings else []),
    ])


def log_monitoring(result: Monitoring, champions: Champions, training_run_id: str,
                   client: MlflowClient | None = None) -> str:
    """Log one monitoring run beside the champions' training run; returns its id."""
    experiment = champions.base.experiment()
    client = client or configure(experiment)
    with owned_run(client, experiment, f"monitor as_of={result.as_of} h={result.horizon_days}") as run:
        mlflow.set_tags({"job": MONITOR_JOB, "training_run_id": training_run_id,
                         "model_versions": json.dumps(champions.versions_by_name, sort_keys=True),
                         "warnings": " | ".join(result.warnings) or "none"})
        mlflow.log_params({"as_of": str(result.as_of), "horizon_days": result.horizon_days,
                           "customers": result.customers})
        for name, value in result.quality.items():
            if np.isfinite(value):
                mlflow.log_metric(f"realised.{name}", float(value))
        for row in result.captured.itertuples():
            mlflow.log_metric(f"realised.buyers_captured_top{round(100 * row.top_share)}", float(row.buyers_captured))
            mlflow.log_metric(f"realised.spend_captured_top{round(100 * row.top_share)}", float(row.spend_captured))
        mlflow.log_table(result.deciles, "monitor/deciles.json")
        mlflow.log_table(result.segments, "monitor/segments.json")
        mlflow.log_table(result.captured, "monitor/captured.json")
        mlflow.log_text(monitoring_text(result), "monitor/monitor.txt")
    return run.info.run_id


def monitoring_runs(training_run_id: str, client: MlflowClient) -> list:
    """The monitoring runs logged beside `training_run_id`, newest first."""
    run = client.get_run(training_run_id)
    return client.search_runs(
        [run.info.experiment_id],
        filter_string=f"tags.job = '{MONITOR_JOB}' AND tags.training_run_id = '{training_run_id}'",
        order_by=["attributes.start_time DESC"],
    )
