"""Training commands of `insight`: train, evaluate, monitor, report, promote. Thin wrappers over
plain functions; the root app (`serving.cli`) adds them beside the other layers' commands."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from features.cli_options import EngineOption, TransactionsOption, as_of_option, fail, transactions_option
from features.engine import Engine
from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA

commands = typer.Typer()
out = Console(soft_wrap=True, highlight=False)
log = logging.getLogger("insight.train")

BaseOption = Annotated[str | None, typer.Option(
    "--base", help="Customer base the models, runs and snapshots belong to "
    "(default: INSIGHT_BASE, else the data directory's name).")]


class StepProgress:
    """What training is doing: a live line on a terminal (step, elapsed, estimate from the base's
    last run), a log line per step otherwise."""

    def __init__(self, console: Console, label: str, estimate_s: float | None = None) -> None:
        self.console, self.label, self.estimate_s = console, label, estimate_s
        self.progress: Progress | None = None
        self.began = time.monotonic()

    def _estimate(self) -> str:
        if self.estimate_s is None:
            return "first run of this base: no estimate yet"
        left = self.estimate_s - (time.monotonic() - self.began)
        return f"about {max(left, 0):.0f} s left (the last run took {self.estimate_s:.0f} s)"

    def __enter__(self):
        self.began = time.monotonic()
        if self.console.is_terminal:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                     TextColumn("[dim]{task.fields[estimate]}"), console=self.console,
                                     transient=True)
            self.progress.start()
            task = self.progress.add_task(self.label, total=None, estimate=self._estimate())

            def update(step: str) -> None:
                self.progress.update(task, description=f"{self.label}: {step}", estimate=self._estimate())
            return update
        if not log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            log.addHandler(handler)
            log.propagate = False
        log.setLevel(logging.INFO)

        def line(step: str) -> None:
            log.info("%s: %s (%.1f s elapsed; %s)", self.label, step, time.monotonic() - self.began, self._estimate())
        return line

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


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


@commands.command()
def train(
    transactions: TransactionsOption,
    as_of: as_of_option("Last day of data used; later rows are ignored."),
    horizon_days: Annotated[int, typer.Option(help="Days ahead the models predict.")] = 182,
    tune_trials: Annotated[int, typer.Option(help="Optuna trials per model (0 = defaults).")] = 0,
    n_cutoffs: Annotated[int, typer.Option(help="Stacked training snapshots (rolling origin).")] = 6,
    step_days: Annotated[int | None, typer.Option(help="Days between snapshots (default: 30).")] = None,
    seasonal_years: Annotated[int, typer.Option(
        help="Also learn from the predicted window as it fell 1..N years earlier (0 = off).")] = 1,
    engine: EngineOption = Engine.duckdb,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    events: Annotated[list[Path] | None, typer.Option(
        "--events", help="Output of `insight ingest-events` (repeat per source): the models also learn "
        "from engagement; scoring then needs the events too.")] = None,
    base: BaseOption = None,
    max_days_past_data: Annotated[int, typer.Option(
        help="Days --as-of may lie after the last transaction.", min=0)] = DEFAULT_MAX_DAYS_PAST_DATA,
) -> None:
    """Train segments, churn, next-purchase and CLV models; track, register and promote in MLflow.

    Models learn from label windows that end by --as-of; they are validated out of time when the
    history allows it, otherwise on held-out customers (the run says which). The four are promoted
    together, or kept as the challenger set, in the base's registry.
    """
    from features.pipeline.data_end import usable_data_end
    from training.bases import resolve_base

    try:
        usable_data_end(transactions, as_of.date())
        customer_base = resolve_base(base, transactions)
        result = train_with_progress(out, transactions, as_of=as_of.date(), horizon_days=horizon_days,
                                     tune_trials=tune_trials, n_cutoffs=n_cutoffs, step_days=step_days,
                                     seasonal_years=seasonal_years, engine=engine, seed=seed, base=customer_base,
                                     events=events or None, max_days_past_data=max_days_past_data)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    from training.evaluation import wide

    out.print(f"validation: {result.outcome.scheme_description}")
    out.print(validation_table(wide(result.outcome.validation), "holdout: models (gbm) vs baselines"))
    out.print("chosen: " + ", ".join(f"{k}={v}" for k, v in result.outcome.choices.items()))
    print_registrations(out, result)


def train_with_progress(console: Console, transactions: Path, **options):
    """`run_training` with the step display, estimated from the base's last finished training run."""
    from training.runner import last_duration, run_training

    base = options["base"]
    with StepProgress(console, f"train {base.name} as of {options['as_of']}", last_duration(base)) as step:
        return run_training(transactions, progress=step, **options)


def print_registrations(console: Console, result) -> None:
    for reg in result.registrations:
        console.print(f"{reg.name} v{reg.version} -> {reg.alias}: {reg.reason}")
    console.print(f"MLflow run: {result.run_id} (report: insight report {result.run_id} --out report.html)")


@commands.command()
def evaluate(
    transactions: transactions_option("the period after --as-of"),
    as_of: as_of_option("Cutoff: score as of this day."),
    horizon_days: Annotated[int | None, typer.Option(help="Window to judge (default: the models').")] = None,
    engine: EngineOption = Engine.duckdb,
    events: Annotated[list[Path] | None, typer.Option(
        "--events", help="Events (`insight ingest-events` output) for champions trained with them.")] = None,
    base: BaseOption = None,
) -> None:
    """Score the champions as of --as-of and judge them, beside the baselines, on what happened next."""
    from training.champions import base_with_champions
    from training.runner import evaluate_champions

    try:
        result = evaluate_champions(transactions, as_of=as_of.date(), horizon_days=horizon_days, engine=engine,
                                    base=base_with_champions(base, transactions), events=events or None)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    end = as_of.date() + dt.timedelta(days=result.horizon_days)
    out.print(validation_table(result.labelled(), f"{as_of.date()} + {result.horizon_days} days (to {end}): "
                                                  f"champions vs baselines"))
    if not result.from_one_run:
        out.print("the champions come from different training runs: "
                  + ", ".join(f"{task} v{version}" for task, version in result.versions.items()))


@commands.command()
def monitor(
    transactions: transactions_option("the horizon after --as-of"),
    as_of: as_of_option("The past cutoff the champions score as of."),
    engine: EngineOption = Engine.duckdb,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the tables as JSON here.")] = None,
    base: BaseOption = None,
) -> None:
    """Did the predictions come true? Realised churn, orders and spend by score decile and segment
    against the champions' predictions as of --as-of, the share of next-period buyers captured by
    the top 10/20/30 %, logged to MLflow beside the training run; warns when quality fell well
    below the training validation."""
    from training.champions import load_champions
    from training.monitor import monitor as monitoring, realised_frame
    from training.monitor_tracking import log_monitoring, training_run_of, validation_metrics
    from training.champions import base_with_champions
    from training.tracking import configure as configure_tracking

    try:
        customer_base = base_with_champions(base, transactions)
        champions = load_champions(base=customer_base)
        frame, notes = realised_frame(transactions, champions, as_of.date(), engine=engine)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    client = configure_tracking(customer_base.experiment())
    run_id = training_run_of(champions, client)
    result = monitoring(frame, as_of.date(), champions.models.horizon_days, validation_metrics(run_id, client), notes)
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


@commands.command()
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


@commands.command()
def promote(
    reason: Annotated[str, typer.Option(help="Why this set is promoted by hand (kept with the set and the run).")],
    base: Annotated[str, typer.Option("--base", help="Customer base whose champion set changes.")] = "default",
    run: Annotated[str | None, typer.Option("--run", help="Promote the four models this training run registered.")] = None,
    version: Annotated[list[str] | None, typer.Option(
        "--version", help="TASK=VERSION to replace one model of the current set (repeatable); "
        "tasks: segments, churn, next_purchase, clv.")] = None,
) -> None:
    """Override the promotion gate: make a training run's set, or single versions, the champion set.

    The set is checked (every version exists, one horizon and feature schema) and recorded as one
    step, with who promoted it and why, in the set's tags and an MLflow run of the base.
    """
    from training.bases import Base
    from training.override import promote as promote_set
    from training.override import versions_of_run
    from training.tracking import configure

    try:
        customer_base = Base(base)
        client = configure(customer_base.experiment())
        chosen = versions_of_run(client, customer_base, run) if run else {}
        for item in version or []:
            task, _, number = item.partition("=")
            if not number.isdigit():
                raise ValueError(f"--version {item!r}: expected TASK=VERSION, e.g. churn=3")
            chosen[task] = number
        if not chosen:
            raise ValueError("nothing to promote: give --run RUN_ID or --version TASK=VERSION")
        champion_set = promote_set(client, customer_base, chosen, reason)
    except (ValueError, LookupError) as exc:
        fail(str(exc))
    models = ", ".join(f"{customer_base.model_name(t)} v{v}" for t, v in champion_set.versions.items())
    out.print(f"champion set v{champion_set.version} of '{customer_base.name}': {models}")
