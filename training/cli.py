"""Training commands of `insight`: train, evaluate, report. Thin wrappers over plain functions."""

from __future__ import annotations

import datetime as dt
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
