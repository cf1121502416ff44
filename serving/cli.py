"""The `insight` command: the root Typer app, at the top of the dependency order, gathering every
layer's commands. Each command is a thin wrapper over plain functions of its layer."""

from __future__ import annotations

import typer

from features.cli import commands as data_commands
from features.identity.cli import commands as identity_commands
from serving.batch_cli import commands as batch_commands
from serving.campaign_cli import campaign_app
from serving.demo_cli import commands as demo_commands
from serving.serve_cli import commands as serve_commands
from training.cli import commands as training_commands

__all__ = ["app"]

app = typer.Typer(
    name="insight",
    help="Customer insight from purchase histories: ingest, resolve identities, build features, "
    "train, score, serve and export campaign audiences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Customer insight from purchase histories.

    Typical flow: ingest -> (resolve) -> features -> train -> score -> audiences -> serve.
    `insight demo` runs it end to end on the CDNOW log.
    """


for layer in (data_commands, identity_commands, training_commands, batch_commands, serve_commands,
              demo_commands):
    app.add_typer(layer)
app.add_typer(campaign_app, name="campaign")
