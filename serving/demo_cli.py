"""`insight demo`: the main job end to end on the CDNOW log shipped with the `lifetimes` package."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.cli_options import fail
from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping
from serving.batch_cli import run_audiences, run_insight_report, run_scoring
from training.cli import print_registrations, train_with_progress, validation_table

commands = typer.Typer()

DEMO_BASE = "cdnow"
DEMO_DIR = Path("runs/demo")
DEMO_TRANSACTIONS = "transactions"
"""`insight demo` ingests CDNOW into DEMO_DIR / DEMO_TRANSACTIONS, where the README's batch example reads."""


@commands.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its outputs.")] = DEMO_DIR,
    tune_trials: Annotated[int, typer.Option(help="Optuna trials per model (0 = defaults).")] = 0,
    serve: Annotated[bool, typer.Option(help="End by starting the scoring service in the background.")] = True,
    port: Annotated[int, typer.Option(help="Port of the scoring service.")] = 3000,
) -> None:
    """Run the main job end to end on the real CDNOW log shipped with the `lifetimes` package.

    Ingest, train on 1997 (as of 1997-12-31, 182-day horizon), judge the champions against the
    baselines on what happened in 1998-01-01..06-30, score every customer as of 1998-06-30, write
    campaign audiences, and leave the scoring service running with a sample request answered.
    """
    from serving.insight.report import Inputs
    from training.bases import Base
    from training.runner import evaluate_champions

    out = Console(soft_wrap=True, highlight=False, width=max(Console().width, 120))
    if serve:
        from serving.local_service import port_in_use_message, port_taken

        if port_taken(port):
            fail(port_in_use_message(port) + " (or --no-serve)")
    as_of, horizon, scored_at = date(1997, 12, 31), 182, date(1998, 6, 30)
    base = Base(DEMO_BASE)
    out.rule("1. ingest: CDNOW master log -> canonical transactions")
    result = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), workdir / DEMO_TRANSACTIONS)
    out.print(result.summary)
    transactions = result.transactions_path
    out.rule(f"2. train: segments, churn, next purchase, CLV as of {as_of}, {horizon}-day horizon")
    run = train_with_progress(out, transactions, as_of=as_of, horizon_days=horizon, tune_trials=tune_trials,
                              base=base)
    out.print(f"validation: {run.outcome.scheme_description}")
    print_registrations(out, run)
    out.rule("3. evaluate: champions vs baselines on 1998-01-01 .. 1998-06-30 (what really happened)")
    out.print(validation_table(evaluate_champions(transactions, as_of=as_of, base=base).labelled(),
                               "holdout after 1997-12-31"))
    out.rule(f"4. score: every customer as of {scored_at}")
    scores = workdir / "scores.parquet"
    run_scoring(transactions, scored_at, scores, fmt="parquet", engine="duckdb", chunk_customers=100_000, console=out,
           base=base)
    out.rule("5. audiences: campaign lists from the scores")
    run_audiences(scores, workdir / "audiences", rules=None, features=None, console=out, base=base)
    out.rule("6. insight report: one page for the people who act on it")
    inputs = Inputs(scores=scores, audiences=workdir / "audiences", ingest_report=workdir / "transactions")
    report = run_insight_report(inputs, workdir / "insight_report.html")
    out.print(f"insight report: {report.resolve()}")
    out.print("MLflow UI: .venv/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db")
    if serve:
        out.rule(f"7. serve: the scoring API on port {port}")
        _demo_service(port, workdir / "service.log", out, base)


def _demo_service(port: int, log: Path, console: Console, base) -> None:
    from serving.demo_service import curl_command, score_once, start_service

    try:
        service = start_service(port, log, base.name)
    except RuntimeError as exc:
        console.print(f"[yellow]service not started:[/] {exc}")
        return
    ids = ["00001", "00002"]
    console.print_json(data=score_once(service, ids))
    console.print(f"the service keeps running (pid {service.pid}, log {service.log}); ask it again with:")
    console.print(curl_command(service, ids), soft_wrap=True)
    console.print(f"stop it with: kill {service.pid}")
