"""Batch commands of `insight`: score, audiences, insight-report. Thin wrappers over plain
functions (`serving.batch`, `serving.audiences`, `serving.insight`)."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from features.cli_options import EngineOption, TransactionsOption, as_of_option, fail
from features.engine import Engine
from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA
from training.cli import BaseOption
from training.settings import TrainingSettings

commands = typer.Typer()
log = logging.getLogger("insight.score")


@commands.command()
def score(
    transactions: TransactionsOption,
    as_of: as_of_option("Score customers as of this day."),
    out: Annotated[Path, typer.Option("--out", help="Output file (replaced atomically).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="parquet or csv (default: from --out's suffix, else parquet).")
    ] = None,
    engine: EngineOption = Engine.duckdb,
    chunk_customers: Annotated[int, typer.Option(help="Customers scored and staged per chunk.")] = 100_000,
    events: Annotated[list[Path] | None, typer.Option(
        "--events", help="Events (`insight ingest-events` output) for champions trained with them.")] = None,
    base: BaseOption = None,
    allow_future: Annotated[bool, typer.Option(
        "--allow-future", help="Score a cutoff more than --max-days-past-data after the last transaction.")] = False,
    max_days_past_data: Annotated[int, typer.Option(
        help="Days --as-of may lie after the last transaction.", min=0)] = DEFAULT_MAX_DAYS_PAST_DATA,
) -> None:
    """Score every customer known at --as-of with the champion models; one row per customer.

    Chunks are staged beside --out and published in one rename: a killed run, started again with
    the same arguments, finishes the missing chunks; a second run on the same --out while one runs
    is refused. The feature snapshot for --as-of is saved for the scoring service, features are
    checked for drift, and the run is logged to MLflow.
    """
    from features.pipeline.data_end import usable_data_end
    from training.champions import base_with_champions

    try:
        usable_data_end(transactions, as_of.date())
        customer_base = base_with_champions(base, transactions)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    run_scoring(transactions, as_of.date(), out, fmt=fmt, engine=engine, chunk_customers=chunk_customers,
           console=Console(soft_wrap=True, highlight=False), base=customer_base, events=events or None,
           allow_future=allow_future, max_days_past_data=max_days_past_data)


@commands.command()
def audiences(
    scores: Annotated[Path, typer.Option(help="Scores written by `insight score`.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the audience lists (replaced atomically).")],
    rules: Annotated[Path | None, typer.Option(help="Audience rules (TOML); default: the packaged playbook.")] = None,
    features: Annotated[
        Path | None, typer.Option(help="Feature table of the same cutoff; default: the saved snapshot.")
    ] = None,
    base: BaseOption = None,
) -> None:
    """Turn scores into campaign lists: welcome, second purchase, VIP care, win-back, festive
    reminder, satisfaction check and do-not-disturb, each with its count and rule."""
    if not scores.exists():
        fail(f"{scores}: no scores here; run `insight score` first")
    from training.bases import resolve_base

    try:
        customer_base = resolve_base(base) if base or TrainingSettings.from_env().base else None
    except ValueError as exc:
        fail(str(exc))
    run_audiences(scores, out, rules=rules, features=features, console=Console(soft_wrap=True, highlight=False),
               base=customer_base)


@commands.command("insight-report")
def insight_report(
    scores: Annotated[Path, typer.Option(help="Scores written by `insight score`.")],
    out: Annotated[Path, typer.Option("--out", help="The HTML page to write (replaced atomically).")],
    features: Annotated[
        Path | None, typer.Option(help="Feature table of the same cutoff; default: the saved snapshot.")
    ] = None,
    previous_scores: Annotated[
        Path | None, typer.Option(help="The previous scoring, to count moves between segments.")
    ] = None,
    audiences: Annotated[Path | None, typer.Option(help="Directory written by `insight audiences`.")] = None,
    campaigns: Annotated[bool, typer.Option(help="Show the stored campaigns and their measured lift.")] = False,
    campaign_store: Annotated[
        Path | None, typer.Option(help="Campaign store (implies --campaigns); default INSIGHT_CAMPAIGNS or "
                                  "runs/campaigns.db.")
    ] = None,
    ingest_report: Annotated[
        Path | None, typer.Option(help="Directory written by `insight ingest`, for the data-quality section.")
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option(help="The models' horizon; default: read from the registered champions.")
    ] = None,
    currency: Annotated[str, typer.Option(help="Currency sign written before amounts.")] = "$",
    base: BaseOption = None,
) -> None:
    """One self-contained HTML page on a scored base for the people who act on it: the base at a
    glance, segments, who matters most, risk x value, when they will buy, audiences and campaigns,
    channels, data quality and drift."""
    from serving.insight.report import Inputs
    from training.bases import resolve_base

    customer_base = resolve_base(base) if base or TrainingSettings.from_env().base else None
    inputs = Inputs(scores=scores, features=features, previous_scores=previous_scores, audiences=audiences,
                    campaigns=campaigns, campaign_store=campaign_store, ingest_report=ingest_report,
                    horizon_days=horizon_days, base=customer_base)
    written = run_insight_report(inputs, out, currency)
    Console(soft_wrap=True, highlight=False).print(f"written: {written} ({written.stat().st_size / 1e6:.1f} MB)")


def run_insight_report(inputs, out: Path, currency: str = "$") -> Path:
    from serving.insight.report import write_insight_report

    try:
        return write_insight_report(inputs, out, currency=currency)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))


def run_scoring(transactions: Path, as_of: date, out: Path, *, fmt: str | None, engine: str, chunk_customers: int,
                console: Console, base, events: list[Path] | None = None, allow_future: bool = False,
                max_days_past_data: int = DEFAULT_MAX_DAYS_PAST_DATA) -> None:
    from serving.batch import run_batch
    from serving.batch_tracking import log_batch_run

    try:
        with ChunkProgress(console) as on_chunk:
            result = run_batch(transactions, as_of, out, fmt=fmt, engine=engine, chunk_customers=chunk_customers,
                               on_chunk=on_chunk, base=base, events=events, allow_future=allow_future,
                               max_days_past_data=max_days_past_data)
    except (ValueError, LookupError, FileNotFoundError) as exc:
        fail(str(exc))
    run_id = log_batch_run(result)
    console.print_json(data=result.summary)
    if result.summary["drifted_features"]:
        console.print(f"[yellow]drift warning:[/] {drift_note(result.summary)}")
    console.print(f"written: {out} (MLflow run {run_id})")


def drift_note(summary: dict) -> str:
    """What the drifted features mean, given how long after the champions' cutoff the base is scored."""
    features = ", ".join(summary["drifted_features"])
    note = f"{features} moved away from the champion's training data (PSI above 0.25)"
    trained, scored = date.fromisoformat(summary["trained_as_of"]), date.fromisoformat(summary["as_of"])
    days = (scored - trained).days
    if days < 30:
        return f"{note}; the base changed since {trained}: consider retraining"
    return (f"{note}. Scoring {days} days (about {round(days / 30.44)} months) after the champions' cutoff "
            f"{trained} is expected to shift features that grow with time (recency, tenure, age of the base) "
            f"and the season; retrain as of {scored} when the scores should reflect the base as it is now")


class ChunkProgress:
    """A progress bar on a terminal, a log line per chunk otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None

    def __enter__(self):
        if self.console.is_terminal:
            self.progress = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=self.console)
            self.progress.start()
            task = self.progress.add_task("chunks", total=None)

            def update(index: int, total: int, customers: int) -> None:
                self.progress.update(task, total=total, completed=index + 1)
            return update
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)

        def line(index: int, total: int, customers: int) -> None:
            log.info("chunk %d/%d: %d customers", index + 1, total, customers)
        return line

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


def with_uplift(table, rule_set):
    """`table` with `uplift_score` from the registered uplift champion, when there is one; a rule
    that uses the column without one is refused with what to run."""
    from training.uplift_tracking import uplift_champion

    model, _ = uplift_champion()
    if model is not None:
        return table.assign(uplift_score=model.predict(table))
    users = [r.name for r in rule_set.audience if "uplift_score" in r.when]
    if users:
        raise ValueError(f"audience '{users[0]}' uses uplift_score but no uplift model is registered; run "
                         "`insight campaign uplift --campaign ID --transactions DIR` on a finished campaign first")
    return table


def run_audiences(scores: Path, out: Path, *, rules: Path | None, features: Path | None, console: Console,
                  base=None) -> None:
    from features.output_lock import output_lock

    try:
        with output_lock(out, kind="directory"):
            result, table = _write_audiences(scores, out, rules, features, base)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    view = Table(title=f"audiences -> {out}")
    for column in ("priority", "audience", "customers", "eligible", "rule"):
        view.add_column(column, justify="right" if column in ("priority", "customers", "eligible") else "left")
    for row in result.counts.itertuples(index=False):
        view.add_row(str(row.priority), row.audience, f"{row.customers:,}", f"{row.eligible:,}", row.rule)
    console.print(view)
    console.print(f"{len(result.assignments):,} of {len(table):,} customers placed in an audience")


def _write_audiences(scores: Path, out: Path, rules: Path | None, features: Path | None, base=None):
    """Assign the scored customers to audiences and write them to `out`; the result and the table."""
    from serving.audiences import assign, load_rules, write_audiences
    from serving.scored_base import scored_base

    rule_set = load_rules(rules)
    table = with_uplift(scored_base(scores, features, base), rule_set)
    result = assign(table, rule_set)
    write_audiences(result, table, out)
    return result, table
