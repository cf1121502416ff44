"""A self-contained HTML report of one training run: parameters, choices, metrics and plots."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from features.atomic import atomic_file
from training.bases import Base
from training.tasks import TASKS
from training.tracking import configure


def training_runs(client: MlflowClient, limit: int = 5) -> list[mlflow.entities.Run]:
    """The newest training runs of every experiment in the store."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    return list(client.search_runs(experiments, filter_string="tags.job = 'train'", max_results=limit,
                                   order_by=["attributes.start_time DESC"])) if experiments else []


def not_a_training_run(client: MlflowClient, run: mlflow.entities.Run) -> str:
    """Why run `run` has no training report, and which runs do."""
    experiment = client.get_experiment(run.info.experiment_id).name
    known = training_runs(client)
    listed = "; ".join(f"{r.info.run_id} ({r.info.run_name})" for r in known)
    return (f"run {run.info.run_id} ({run.info.run_name}, experiment '{experiment}') is not a training run; "
            + (f"training runs, newest first: {listed}" if known else "no training run yet: run `insight train`"))


def _monitoring_section(client: MlflowClient, run_id: str) -> list[str]:
    """"Did the predictions come true?": the newest monitoring run of this training run, if any."""
    from training.monitor_tracking import monitoring_runs

    runs = monitoring_runs(run_id, client)
    if not runs:
        return ["<h2>Did the predictions come true?</h2><p>not monitored yet: run "
                "<code>insight monitor --transactions DIR --as-of DATE</code> once the horizon has passed</p>"]
    newest = runs[0]
    text = Path(mlflow.artifacts.download_artifacts(run_id=newest.info.run_id, artifact_path="monitor/monitor.txt"))
    warnings = newest.data.tags.get("warnings", "none")
    return ["<h2>Did the predictions come true?</h2>",
            f"<p>monitoring run <code>{html.escape(newest.info.run_id)}</code> "
            f"({len(runs)} in all); warnings: {html.escape(warnings)}</p>",
            f"<pre>{html.escape(text.read_text())}</pre>"]


def _models_section(run: mlflow.entities.Run) -> list[str]:
    """What each registered model of the run's base predicts and the metric it is chosen by."""
    base = Base(run.data.tags.get("base") or Base().name)
    rows = [f"<tr><td><code>{html.escape(base.model_name(task.name))}</code></td>"
            f"<td>{html.escape(task.description)}</td><td>{html.escape(task.metric)} "
            f"({'higher' if task.higher_is_better else 'lower'} is better)</td></tr>" for task in TASKS.values()]
    return ["<h2>Models</h2><table><tr><th>registered model</th><th>predicts</th><th>chosen by</th></tr>",
            *rows, "</table>"]


def write_report(run_id: str, out: Path) -> Path:
    """Render run `run_id` as one HTML file with its plots embedded; returns the path."""
    client: MlflowClient = configure()
    try:
        run = client.get_run(run_id)
    except mlflow.exceptions.MlflowException as exc:
        raise LookupError(f"no MLflow run '{run_id}' in {mlflow.get_tracking_uri()}") from exc
    if run.data.tags.get("job") != "train":
        raise LookupError(not_a_training_run(client, run))
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=""))
    validation = local / "validation.txt"
    images = sorted((local / "plots").glob("*.png")) if (local / "plots").exists() else []
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>customer-insight run {html.escape(run_id)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        "img{max-width:48%;margin:1%}pre{background:#f6f6f6;padding:1em}</style></head><body>",
        f"<h1>{html.escape(run.info.run_name or run_id)}</h1>",
        f"<p>run <code>{html.escape(run_id)}</code>, status {run.info.status}</p>",
        *_models_section(run),
        "<h2>Validation</h2>",
        f"<p>{html.escape(run.data.tags.get('validation', ''))}</p>",
        f"<pre>{html.escape(validation.read_text()) if validation.exists() else 'no validation table'}</pre>",
        "<h2>Promotion</h2><ul>",
        *(f"<li>{html.escape(k.removeprefix('promotion.'))}: {html.escape(v)}</li>"
          for k, v in sorted(run.data.tags.items()) if k.startswith("promotion.")),
        "</ul><h2>Parameters</h2><table>",
        *(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
          for k, v in sorted(run.data.params.items())),
        "</table>",
        *_monitoring_section(client, run_id),
        "<h2>Plots</h2>",
        *(f"<img alt='{html.escape(p.stem)}' src='data:image/png;base64,"
          f"{base64.b64encode(p.read_bytes()).decode()}'>" for p in images),
        "</body></html>",
    ]
    with atomic_file(out) as tmp:
        tmp.write_text("\n".join(parts), "utf-8")
    return out
