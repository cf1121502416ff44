"""Campaigns and their reports in MLflow (experiment `customer-insight-campaigns`)."""

from __future__ import annotations

import mlflow
import pandas as pd

from training.recovery import owned_run
from training.tracking import configure

EXPERIMENT = "customer-insight-campaigns"


def log_campaign(manifest: dict, members: pd.DataFrame) -> str:
    """One run per created campaign: its manifest, sizes and the member split."""
    with owned_run(configure(EXPERIMENT), EXPERIMENT, f"campaign {manifest['campaign_id']}") as run:
        mlflow.set_tags({"campaign_id": manifest["campaign_id"], "kind": "campaign", "audience": manifest["audience"]})
        mlflow.log_params({
            "audience": manifest["audience"], "as_of": manifest["as_of"], "window_days": manifest["window_days"],
            "control_share": manifest["control_share"], "stratify": ",".join(manifest["stratify"]) or "none",
            **{f"model.{name}": version for name, version in manifest["model_versions"].items()},
        })
        mlflow.log_metrics({"treated_customers": manifest["treated_customers"],
                            "control_customers": manifest["control_customers"],
                            **({"detectable_lift": manifest["detectable_lift"]}
                               if manifest["detectable_lift"] is not None else {})})
        mlflow.log_dict(manifest, "manifest.json")
        mlflow.log_text(members[["customer_id", "group", "stratum"]].to_csv(index=False), "members.csv")
    return run.info.run_id


def log_report(report: dict, table_text: str, html: str) -> str:
    """One run per campaign report: the lift metrics, the JSON, the table and the HTML page."""
    with owned_run(configure(EXPERIMENT), EXPERIMENT, f"report {report['campaign_id']}") as run:
        mlflow.set_tags({"campaign_id": report["campaign_id"], "kind": "campaign_report"})
        mlflow.log_params({"window_days": report["window_days"], "as_of": report["as_of"]})
        values = {"treated_customers": report["treated_customers"], "control_customers": report["control_customers"],
                  "incremental_orders": report["incremental_orders"],
                  "incremental_revenue": report["incremental_revenue"]}
        for metric in report["metrics"]:
            for key in ("treated", "control", "abs_lift", "ci_low", "ci_high"):
                values[f"{metric['metric']}.{key}"] = metric[key]
        mlflow.log_metrics(values)
        mlflow.log_dict(report, "report.json")
        mlflow.log_text(table_text, "report.txt")
        mlflow.log_text(html, "report.html")
    return run.info.run_id
