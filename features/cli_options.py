"""What every layer's `insight` commands share: the one-line error exit and the option types used
by several commands (`--transactions`, `--as-of`, `--engine`), each declared once.

The root app that gathers the commands is `serving.cli`, at the top of the dependency order.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from features.engine import Engine

errors = Console(stderr=True)

TRANSACTIONS_HELP = "Canonical transactions from `insight ingest` (directory or Parquet file)"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit with `code`."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def transactions_option(covering: str | None = None) -> Any:
    """The `--transactions` option; `covering` says which period the command needs them to cover."""
    text = f"{TRANSACTIONS_HELP}, covering {covering}." if covering else f"{TRANSACTIONS_HELP}."
    return Annotated[Path, typer.Option("--transactions", help=text)]


def as_of_option(meaning: str) -> Any:
    """The `--as-of` cutoff day (YYYY-MM-DD); `meaning` says what the command does with it."""
    return Annotated[datetime, typer.Option("--as-of", help=meaning)]


TransactionsOption = transactions_option()
EngineOption = Annotated[Engine, typer.Option(
    "--engine", help="Engine: duckdb (default, embedded) or spark (local[*] or INSIGHT_SPARK_MASTER).",
    case_sensitive=False)]
