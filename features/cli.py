"""Data-layer commands of `insight`: ingest, ingest-events, features, synth. Thin wrappers over
plain functions; the root app (`serving.cli`) adds them beside the other layers' commands."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from features.cli_options import EngineOption, TransactionsOption, as_of_option, fail
from features.datasets import cdnow_master_path
from features.engine import Engine
from features.ingest import ingest as run_ingest
from features.ingest import load_mapping
from features.ingest.mapping import MappingError, canonical_mapping
from features.ingest.readers import SourceError, read_columns

commands = typer.Typer()

PACKAGED_SOURCES = {"cdnow": cdnow_master_path}


@commands.command()
def ingest(
    source: Annotated[
        str | None,
        typer.Argument(help="CSV, Parquet, Excel or database file. Optional with --preset cdnow "
                       "(the CDNOW master log shipped in the `lifetimes` package)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")] = Path(
        "data/transactions"
    ),
    preset: Annotated[
        str | None, typer.Option(help="Built-in mapping: cdnow, online-retail-ii.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Column-mapping TOML file (see docs/mapping.md).")
    ] = None,
    id_map: Annotated[
        Path | None,
        typer.Option("--id-map", help="Id map from `insight resolve`: re-key rows by unified customer."),
    ] = None,
    now: Annotated[
        datetime | None,
        typer.Option(help="Treat this as the current time for the future-timestamp check."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a purchase log into the canonical transaction table.

    A CSV, Parquet or Excel file whose header already has the canonical columns (customer_id,
    order_id, timestamp, amount and any of quantity, product_id, category, channel, region)
    needs neither --preset nor --mapping.

    Writes OUT/transactions.parquet, OUT/quarantine.parquet (every rejected row with its reason)
    and OUT/quality_report.{json,txt}. Nothing is written unless the whole run succeeds.
    """
    spec = None
    try:
        spec = load_mapping(preset=preset, path=mapping) if (preset or mapping) else None
        if spec is None and source is not None:
            spec = canonical_mapping(read_columns(source))
    except MappingError as exc:
        named = preset or mapping
        fail(str(exc) if named else f"{source}: give --preset NAME or --mapping FILE to say how to read it; {exc}")
    except SourceError as exc:
        fail(str(exc))
    if spec is None:
        fail("give --preset NAME or --mapping FILE to say how to read the source")
    if source is None:
        if preset not in PACKAGED_SOURCES:
            fail(f"give a SOURCE file; only {', '.join(PACKAGED_SOURCES)} ship with the tool")
        source = str(PACKAGED_SOURCES[preset]())
    ids = None
    if id_map is not None:
        if not id_map.is_file():
            fail(f"{id_map}: id map not found")
        try:
            ids = pd.read_parquet(id_map)
        except (OSError, ValueError) as exc:
            fail(f"{id_map}: cannot read the id map (an id_map.parquet from `insight resolve`): "
                 f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    try:
        result = run_ingest(
            source, spec, out,
            now=pd.Timestamp(now, tz="UTC") if now else None,
            id_map=ids,
        )
    except (SourceError, MappingError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.report, indent=2) + "\n")
    else:
        out_console = Console(soft_wrap=True, highlight=False)
        out_console.print(result.summary)
        out_console.print(f"written: {result.out_dir}")


@commands.command("ingest-events")
def ingest_events_command(
    source: Annotated[str, typer.Argument(help="CSV, Parquet, JSON Lines, Excel or database file of events.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically), e.g. "
                                      "data/events beside data/transactions.")] = Path("data/events"),
    preset: Annotated[
        str | None, typer.Option(help="Built-in event mapping: web-analytics, email-activity.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Event mapping TOML file (see docs/events.md).")
    ] = None,
    id_map: Annotated[
        Path | None,
        typer.Option("--id-map", help="Id map from `insight resolve` (its golden records beside it "
                     "re-key emails and phones)."),
    ] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(help="Transactions from `insight ingest`: the report counts prospects (never bought)."),
    ] = None,
    now: Annotated[
        datetime | None,
        typer.Option(help="Treat this as the current time for the future-timestamp check."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate engagement events (sessions, views, emails, tickets, surveys, reviews) into the
    canonical event table.

    Writes OUT/events.parquet, OUT/quarantine.parquet (every rejected row with its row, field and
    reason) and OUT/quality_report.{json,txt}. Nothing is written unless the whole run succeeds.
    A file already in the canonical event columns needs neither --preset nor --mapping.
    """
    from features.engine import parquet_source
    from features.events import Identity, canonical_event_mapping, ingest_events, load_event_mapping

    try:
        spec = (load_event_mapping(preset=preset, path=mapping) if (preset or mapping)
                else canonical_event_mapping(read_columns(source)))
    except MappingError as exc:
        fail(str(exc) if (preset or mapping)
             else f"{source}: give --preset NAME or --mapping FILE to say how to read it; {exc}")
    except SourceError as exc:
        fail(str(exc))
    identity = buyers = None
    if id_map is not None:
        if not id_map.is_file():
            fail(f"{id_map}: id map not found")
        try:
            identity = Identity.read(id_map)
        except (OSError, ValueError, KeyError) as exc:
            fail(f"{id_map}: cannot read the id map (an id_map.parquet from `insight resolve`): "
                 f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    if transactions is not None:
        try:
            buyers = pd.read_parquet(parquet_source(transactions), columns=["customer_id"])["customer_id"]
        except (OSError, ValueError, KeyError) as exc:
            fail(f"{transactions}: cannot read the transactions: "
                 f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    try:
        result = ingest_events(source, spec, out, now=pd.Timestamp(now, tz="UTC") if now else None,
                               identity=identity, buyers=buyers)
    except (SourceError, MappingError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.report, indent=2) + "\n")
    else:
        out_console = Console(soft_wrap=True, highlight=False)
        out_console.print(result.summary)
        out_console.print(f"written: {result.out_dir}")


@commands.command()
def features(
    transactions: TransactionsOption,
    as_of: as_of_option("Cutoff day: only rows before its end are used."),
    out: Annotated[Path, typer.Option("--out", help="Parquet file for the feature table.")],
    engine: EngineOption = Engine.duckdb,
    snapshot_root: Annotated[
        Path | None,
        typer.Option(help="Also save the table in this snapshot store (for the scoring service)."),
    ] = None,
    events: Annotated[
        list[Path] | None,
        typer.Option("--events", help="Output of `insight ingest-events` (repeat for several sources): "
                     "adds the engagement features."),
    ] = None,
) -> None:
    """Point-in-time features, one row per customer with a purchase on or before --as-of."""
    from features.atomic import atomic_file
    from features.output_lock import output_lock
    from features.pipeline import build_features, save_snapshot

    try:
        with output_lock(out, kind="file"):
            table = build_features(transactions, as_of.date(), engine=engine, events=events or None)
            with atomic_file(out) as tmp:
                table.to_parquet(tmp, index=False)
        message = f"{len(table):,} customers x {table.shape[1] - 1} features as of {as_of.date()} -> {out}"
        if snapshot_root is not None:
            message += f"; snapshot {save_snapshot(table, as_of.date(), snapshot_root)}"
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    Console(soft_wrap=True, highlight=False).print(message)


@commands.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Directory for transactions.parquet and truth.parquet.")],
    customers: Annotated[int, typer.Option(help="Customers to simulate.")] = 10_000,
    start: Annotated[datetime, typer.Option(help="First day of the simulated period.")] = datetime(2021, 1, 1),
    end: Annotated[datetime, typer.Option(help="Last day of the simulated period.")] = datetime(2023, 12, 31),
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 0,
    mix: Annotated[
        str | None,
        typer.Option(help="Behaviour shares, e.g. 'loyal=0.2,one_time=0.5,festive=0.3' (must sum to 1)."),
    ] = None,
    return_rate: Annotated[float, typer.Option(help="Base share of orders with a returned line.")] = 0.04,
    events: Annotated[
        bool, typer.Option("--events", help="Also simulate engagement events (visits, emails, tickets, "
                           "surveys, reviews; prospects) into OUT/events.parquet.")
    ] = False,
) -> None:
    """Simulate a retail customer base with known ground truth (behaviour, churn date).

    Writes the canonical transaction table (usable wherever `insight ingest` output is) and a
    truth table, streaming in chunks so 10 M transactions fit in bounded memory; with --events
    also the canonical event table (usable wherever `insight ingest-events` output is).
    """
    import time

    import pyarrow.parquet as pq

    from features.schema import TRANSACTIONS_FILE
    from features.synth import TRUTH_FILE, SimulationConfig, simulate_to_parquet
    from features.synth.profiles import DEFAULT_MIX

    try:
        config = SimulationConfig(
            n_customers=customers, start=start.date(), end=end.date(), seed=seed,
            behaviour_mix=_parse_mix(mix) if mix else DEFAULT_MIX, return_rate=return_rate, events=events,
        )
    except ValueError as exc:
        fail(str(exc))
    began = time.perf_counter()
    simulate_to_parquet(config, out)
    elapsed = time.perf_counter() - began
    rows = pq.ParquetFile(out / TRANSACTIONS_FILE).metadata.num_rows
    truth = pd.read_parquet(out / TRUTH_FILE, columns=["behaviour"])
    shares = truth["behaviour"].value_counts().sort_index()
    extra = ""
    if events:
        from features.events.schema import EVENTS_FILE

        extra = f" and {pq.ParquetFile(out / EVENTS_FILE).metadata.num_rows:,} events"
    Console(soft_wrap=True, highlight=False).print(
        f"{rows:,} transactions{extra} for {len(truth):,} customers "
        f"({config.start} .. {config.end}, seed {seed}) in {elapsed:.1f} s -> {out}\n"
        + ", ".join(f"{name}: {count:,}" for name, count in shares.items())
    )


def _parse_mix(text: str) -> dict[str, float]:
    """'loyal=0.2,one_time=0.8' -> {'loyal': 0.2, 'one_time': 0.8}; a bad part is a ValueError."""
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--mix part {part!r} is not name=share (e.g. loyal=0.2)") from None
    return shares
