"""Entry point of the `insight` command: the root app with every layer's commands, and `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.cli import app
from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping

__all__ = ["app"]


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its outputs.")] = Path("runs/demo"),
) -> None:
    """Run the main job end to end on the real CDNOW log shipped with the `lifetimes` package."""
    out = Console(soft_wrap=True, highlight=False)
    out.rule("1. ingest: CDNOW master log -> canonical transactions")
    result = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), workdir / "transactions")
    out.print(result.summary)
    out.print(f"written: {result.out_dir}")
