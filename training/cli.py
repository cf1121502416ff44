"""Training commands of `insight`: train, evaluate, report. Thin wrappers over plain functions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from features.cli import app, fail

out = Console(soft_wrap=True, highlight=False)


def validation_table(wide_table, title: str) -> Table:
    """A rich table of candidates (rows) by metrics (columns); no column narrower than its widest
    cell, so a narrow terminal or a pipe never cuts a number short."""
    headers = ["task", "candidate", *(str(metric) for metric in wide_table.columns)]
    rows = [[task, candidate, *("" if v != v else f"{v:.4f}" for v in row.to_numpy())]
            for (task, candidate), row in wide_table.iterrows()]
    table = Table(title=title)
    for i, header in enumerate(headers):
        width = max([len(header), *(len(row[i]) for row in rows)])
        table.add_column(header, justify="left" if i < 2 else "right", no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*row)
    return table


@app.command()
def train(
    transactions: Annotated[Path, typer.Option(help="Directory or Parquet file from `insight ingest`.")],
    as_of: Annotated[dt.datetime, typer.Option("--as-of", help="Last day of data used; later rows are ignored.")],
    horizon_days: Annotated[int, typer.Option(help="Days ahead the models predict.")] = 182,
    tune_trials: Annotated[int, typer.Option(help="Optuna trials per model (0 = defaults).")] = 0,
    n_cutoffs: Annotated[int, typer.Option(help="Stacked training snapshots (rolling origin).")] = 6,
    step_days: Annotated[int | None, typer.Option(help="Days between snapshots (default: 30).")] = None,
    seasonal_years: Annotated[int, typer.Option(
        help="Also learn from the predicted window as it fell 1..N years earlier (0 = off).")] = 1,
    engine: Annotated[str, typer.Option(help="Feature engine: duckdb or spark.")] = "duckdb",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train segments, churn, next-purchase and CLV models; track, register and promote in MLflow.

    Models learn from label windows that end by --as-of; they are validated out of time when the
    history allows it, otherwise on held-out customers (the run says which).
    """
    from training.runner import run_training

    try:
        result = run_training(
            transactions, as_of=as_of.date(), horizon_days=horizon_days, tune_trials=tune_trials,
            n_cutoffs=n_cutoffs, step_days=step_days, seasonal_years=seasonal_years, engine=engine, seed=seed,
        )
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    from training.evaluation import wide

    out.print(f"validation: {result.outcome.scheme_description}")
    out.print(validation_table(wide(result.outcome.validation), "holdout: models (gbm) vs baselines"))
    out.print("chosen: " + ", ".join(f"{k}={v}" for k, v in result.outcome.choices.items()))
    for reg in result.registrations:
        out.print(f"{reg.name} v{reg.version} -> {reg.alias}: {reg.reason}")
    out.print(f"MLflow run: {result.run_id}")


@app.command()
def evaluate(
    transactions: Annotated[Path, typer.Option(help="Transactions covering the period after --as-of.")],
    as_of: Annotated[dt.datetime, typer.Option("--as-of", help="Cutoff: score as of this day.")],
    horizon_days: Annotated[int | None, typer.Option(help="Window to judge (default: the models').")] = None,
    engine: Annotated[str, typer.Option(help="Feature engine: duckdb or spark.")] = "duckdb",
) -> None:
    """Score the champions as of --as-of and judge them, beside the baselines, on what happened next."""
    from training.runner import evaluate_champions

    try:
        result = evaluate_champions(transactions, as_of=as_of.date(), horizon_days=horizon_days, engine=engine)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    end = as_of.date() + dt.timedelta(days=result.horizon_days)
    out.print(validation_table(result.labelled(), f"{as_of.date()} + {result.horizon_days} days (to {end}): "
                                                  f"champions vs baselines"))
    if not result.from_one_run:
        out.print("the champions come from different training runs: "
                  + ", ".join(f"{task} v{version}" for task, version in result.versions.items()))


@app.command()
def monitor(
    transactions: Annotated[Path, typer.Option(help="Transactions covering the horizon after --as-of.")],
    as_of: Annotated[dt.datetime, typer.Option("--as-of", help="The past cutoff the champions score as of.")],
    engine: Annotated[str, typer.Option(help="Feature engine: duckdb or spark.")] = "duckdb",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the tables as JSON here.")] = None,
) -> None:
    """Did the predictions come true? Realised churn, orders and spend by score decile and segment
    against the champions' predictions as of --as-of, the share of next-period buyers captured by
    the top 10/20/30 %, logged to MLflow beside the training run; warns when quality fell well
    below the training validation."""
    from training.champions import load_champions
    from training.monitor import monitor as monitoring, realised_frame
    from training.monitor_tracking import log_monitoring, training_run_of, validation_metrics
    from training.tracking import configure as configure_tracking

    try:
        champions = load_champions()
        frame = realised_frame(transactions, champions, as_of.date(), engine=engine)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    client = configure_tracking()
    run_id = training_run_of(champions, client)
    result = monitoring(frame, as_of.date(), champions.models.horizon_days, validation_metrics(run_id, client))
    title = f"{result.as_of} + {result.horizon_days} days (to {result.window_end}), {result.customers:,} customers"
    out.print(frame_table(result.deciles, f"by decile of predicted purchase likelihood (1 = most likely): {title}"))
    out.print(frame_table(result.segments, "by segment"))
    out.print(frame_table(result.captured, "next-period buyers (ranked by churn) and spend (ranked by CLV) "
                                          "captured by the top of the ranking"))
    out.print("realised: " + ", ".join(f"{k} {v:.3f}" for k, v in result.quality.items()))
    for line in result.warnings:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"[yellow]warning:[/] {line}")
    monitor_run = log_monitoring(result, champions, run_id, client)
    if json_out is not None:
        from features.atomic import atomic_file

        payload = {"as_of": str(result.as_of), "horizon_days": result.horizon_days, "customers": result.customers,
                   "deciles": result.deciles.to_dict(orient="records"),
                   "segments": result.segments.to_dict(orient="records"),
                   "captured": result.captured.to_dict(orient="records"), "quality": result.quality,
                   "warnings": result.warnings, "training_run_id": run_id, "mlflow_run_id": monitor_run}
        with atomic_file(json_out) as tmp:
            tmp.write_text(json.dumps(payload, indent=2, default=float))
    out.print(f"MLflow run {monitor_run}, beside training run {run_id} (`insight report {run_id}` shows it)")


def frame_table(frame, title: str) -> Table:
    """A rich table of a small data frame: numbers right-aligned, floats to 3 decimals."""
    table = Table(title=title)
    cells = [[f"{v:.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
              for v in row] for row in frame.itertuples(index=False)]
    for i, column in enumerate(frame.columns):
        width = max([len(str(column)), *(len(row[i]) for row in cells)])
        table.add_column(str(column), justify="left" if frame[column].dtype == object else "right",
                         no_wrap=True, min_width=width)
    for row in cells:
        table.add_row(*row)
    return table


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="MLflow run id of a training run.")],
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
) -> None:
    """Write a self-contained HTML report (metrics, choices, plots) of one training run."""
    from training.report import write_report

    try:
        path = write_report(run_id, out_file)
    except (LookupError, ValueError) as exc:
        fail(str(exc))
    out.print(f"written: {path}")
