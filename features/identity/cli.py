"""`insight resolve`: unify customer records from several systems into one id per person."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from splink.internals.exceptions import SplinkException

from features.cli_options import EngineOption, fail
from features.engine import Engine
from features.output_lock import output_lock
from features.identity.intake import RecordFileError, RecordSource, read_record_files
from features.identity.resolve import DEFAULT_THRESHOLD, ResolveConfig, load_history, resolve, write_resolution
from features.identity.report import render_text


commands = typer.Typer()


@commands.command("resolve")
def resolve_command(
    records: Annotated[
        list[str],
        typer.Option(
            "--records", metavar="PATH[:MAPPING.toml]",
            help="Customer-record file (CSV, Parquet, Excel, DuckDB); repeat for several systems. "
            "PATH:MAPPING.toml reads this file with its own record mapping (its layout's column "
            "names, a constant source, time format).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", metavar="MAPPING.toml",
            help="Record mapping for every --records PATH given without its own; without any, files "
            "must use the record contract's column names (docs/identity.md).",
        ),
    ] = None,
    engine: EngineOption = Engine.duckdb,
    threshold: Annotated[
        float, typer.Option(help="Match probability at or above which the model links two records.")
    ] = DEFAULT_THRESHOLD,
    previous: Annotated[
        Path | None,
        typer.Option(help="Output of an earlier run whose ids to keep (default: --out, if it has one)."),
    ] = None,
    default_country: Annotated[
        str, typer.Option(help="Region for phones and dates written without a country (ISO alpha-2).")
    ] = "VN",
    seed: Annotated[int, typer.Option(help="Seed for the model's random sampling.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Link customer records of one person across systems and give each person one customer id.

    A system's export in its own layout is read with a record mapping file (the TOML format of
    `insight ingest --mapping`, naming record fields; see docs/identity.md), e.g.
    `--records web.csv --records store.xlsx:store.toml --records app.parquet:app.toml`.

    Writes OUT/id_map.parquet (source, source_customer_id -> customer_id), golden_records.parquet,
    pairs.parquet (scored and linked pairs with their rule and weights), merges.parquet,
    quarantine.parquet, model.json and report.{json,txt}. Ids from an earlier run are kept.
    OUT is locked for the whole run: a second run on it is refused rather than issuing ids from
    the same earlier state and replacing the first run's.
    """
    try:
        with output_lock(out, kind="directory"):
            resolution = _resolve_into(out, records, mapping, previous, ResolveConfig(
                engine=engine, threshold=threshold, default_country=default_country.upper(), seed=seed))
    except (RecordFileError, ValueError) as exc:
        fail(str(exc))
    except SplinkException as exc:
        fail(f"record linkage failed: {str(exc).splitlines()[0]}")
    if as_json:
        sys.stdout.write(json.dumps(resolution.report, indent=2, default=str) + "\n")
    else:
        console = Console(soft_wrap=True, highlight=False)
        console.print(render_text(resolution.report), markup=False)
        console.print(f"written: {out}")


def _resolve_into(out: Path, records: list[str], mapping: Path | None, previous: Path | None,
                  config: ResolveConfig):
    """Read the record files, resolve them keeping the earlier ids and write `out`; the resolution."""
    intake = read_record_files([RecordSource.parse(r, mapping) for r in records])
    if len(intake.records) < 2:
        per_file = "; ".join(f"{file}: {counts['records_in']:,} read, {counts['records_quarantined']:,} quarantined"
                             for file, counts in intake.files.items())
        raise ValueError(f"identity resolution needs at least 2 records, got {len(intake.records)} ({per_file})")
    history_dir = previous if previous is not None else out
    if previous is not None and not (previous / "id_map.parquet").exists():
        raise ValueError(f"{previous}: no id_map.parquet from an earlier `insight resolve` run")
    resolution = resolve(intake.records, config=config, history=load_history(history_dir),
                         quarantine=intake.quarantine, files=intake.files)
    write_resolution(resolution, out)
    return resolution
