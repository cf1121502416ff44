"""A batch-scoring run in MLflow: the cutoff, the model versions used, the summary and drift."""

from __future__ import annotations

import mlflow

from serving.batch import BatchResult
from training.bases import Base
from training.recovery import owned_run
from training.tracking import configure

EXPERIMENT = "customer-insight-batch-scoring"


def log_batch_run(result: BatchResult) -> str:
    """Log `result` as one run of its base's batch-scoring experiment; returns the run id."""
    summary = result.summary
    experiment = Base(summary.get("base", "default")).experiment(EXPERIMENT)
    with owned_run(configure(experiment), experiment, f"score {summary['as_of']}") as run:
        mlflow.log_params({
            "as_of": summary["as_of"], "base": summary.get("base", "default"), "engine": summary["engine"],
            "output": str(result.out),
            **{f"model.{name}": version for name, version in summary["model_versions"].items()},
        })
        mlflow.log_metrics({
            "customers": summary["customers"],
            "mean_churn_probability": summary["mean_churn_probability"] or 0.0,
            "total_expected_orders": summary["total_expected_orders"],
            "total_predicted_clv": summary["total_predicted_clv"],
            "elapsed_seconds": summary["elapsed_seconds"],
            "drifted_features": len(summary["drifted_features"]),
            **{f"customers_{status}": count for status, count in summary.get("customers_by_status", {}).items()},
        })
        mlflow.log_dict(summary, "summary.json")
        if len(result.drift):
            mlflow.log_text(result.drift.rename_axis("feature").reset_index().to_csv(index=False), "drift_psi.csv")
    return run.info.run_id
