"""Entry point of the `insight` command: the root app with every layer's commands, and `demo`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from training.cli import validation_table
from features.cli import app, fail
from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping

__all__ = ["app"]


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its outputs.")] = Path("runs/demo"),
    tune_trials: Annotated[int, typer.Option(help="Optuna trials per model (0 = defaults).")] = 0,
) -> None:
    """Run the main job end to end on the real CDNOW log shipped with the `lifetimes` package.

    Ingest, train on 1997 (as of 1997-12-31, 182-day horizon), judge the champions against the
    baselines on what happened in 1998-01-01..06-30, then score every customer as of 1998-06-30.
    """
    from serving.batch import run_batch
    from training.evaluation import wide
    from training.runner import evaluate_champions, run_training

    out = Console(soft_wrap=True, highlight=False)
    as_of, horizon = date(1997, 12, 31), 182
    out.rule("1. ingest: CDNOW master log -> canonical transactions")
    result = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), workdir / "transactions")
    out.print(result.summary)
    transactions = result.transactions_path
    out.rule(f"2. train: segments, churn, next purchase, CLV as of {as_of}, {horizon}-day horizon")
    run = run_training(transactions, as_of=as_of, horizon_days=horizon, tune_trials=tune_trials)
    out.print(f"validation: {run.outcome.scheme_description}")
    for reg in run.registrations:
        out.print(f"{reg.name} v{reg.version} -> {reg.alias}: {reg.reason}")
    out.rule("3. evaluate: champions vs baselines on 1998-01-01 .. 1998-06-30 (what really happened)")
    table, _ = evaluate_champions(transactions, as_of=as_of)
    out.print(validation_table(wide(table), "holdout after 1997-12-31"))
    out.rule("4. score: every customer as of 1998-06-30")
    batch = run_batch(transactions, date(1998, 6, 30), workdir / "scores.parquet")
    out.print_json(data=batch.summary)
    out.print(f"written: {batch.out}")
    out.print("MLflow UI: .venv/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db")


@app.command()
def score(
    transactions: Annotated[Path, typer.Option(help="Directory or Parquet file from `insight ingest`.")],
    as_of: Annotated[datetime, typer.Option("--as-of", help="Score customers as of this day.")],
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    engine: Annotated[str, typer.Option(help="Feature engine: duckdb or spark.")] = "duckdb",
) -> None:
    """Score every customer known at --as-of with the champion models; one row per customer."""
    from serving.batch import run_batch

    if not transactions.exists():
        fail(f"{transactions}: no transactions here; run `insight ingest` first")
    try:
        result = run_batch(transactions, as_of.date(), out, fmt=fmt, engine=engine)
    except (ValueError, LookupError, FileNotFoundError) as exc:
        fail(str(exc))
    console = Console(soft_wrap=True, highlight=False)
    console.print_json(data=result.summary)
    console.print(f"written: {out}")
