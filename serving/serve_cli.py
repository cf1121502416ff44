"""`insight serve`: start the scoring service, optionally from a freshly built Bento."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from features.cli_options import fail
from serving.settings import ServiceArguments
from training.bases import Base

SERVICE = "serving.service:CustomerInsight"
BENTOFILE = Path(__file__).resolve().parents[1] / "bentofile.yaml"
commands = typer.Typer()


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 3000,
    build: Annotated[bool, typer.Option(
        "--build", help="Import the champion models and the newest snapshot into the BentoML model store, "
        "build the Bento from bentofile.yaml and serve that (it no longer needs MLflow).")] = False,
    no_auth: Annotated[bool, typer.Option(
        "--no-auth", help="Serve without API keys (local development only).")] = False,
    base: Annotated[str | None, typer.Option(
        "--base", help="Customer base to serve (default: INSIGHT_BASE, else the only base with champions).")] = None,
) -> None:
    """Serve real-time scores on HTTP: POST /score, /score_history, /explain, /reload; GET /models.

    Every endpoint but /livez, /readyz, /metrics and the docs needs `Authorization: Bearer <key>`
    with a key from INSIGHT_API_KEYS or INSIGHT_API_KEYS_FILE; without a key it refuses to start
    unless --no-auth is given. Models come from the MLflow registry (champion aliases) and the
    snapshot store, or, with --build, from the Bento.
    """
    from serving.local_service import port_in_use_message, port_taken

    if port_taken(port, host):
        fail(port_in_use_message(port))
    if build and no_auth:
        fail("--no-auth cannot be combined with --build: a Bento is a deployable artefact and serves with "
             "API keys (INSIGHT_API_KEYS or INSIGHT_API_KEYS_FILE)")
    import bentoml

    try:
        arguments = ServiceArguments(base=Base(base).name if base is not None else None,
                                     allow_no_auth=no_auth or None)
        settings = arguments.settings()
        settings.require_auth_decision()
    except ValueError as exc:
        fail(str(exc))
    if build:
        from serving.bento_store import build_bento

        try:
            model_tag, bento_tag = build_bento(BENTOFILE, base=arguments.base)
        except (LookupError, FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        typer.echo(f"imported {model_tag}; built Bento {bento_tag} (`bentoml containerize {bento_tag}` for an image)")
        # A Bento's own arguments (bentofile.yaml: model_source bentoml) replace any given at serve time.
        bentoml.serve(str(bento_tag), host=host, port=port, working_dir=str(Path.cwd()), blocking=True)
        return
    run_dir = settings.run_dir or Path(tempfile.mkdtemp(prefix="customer-insight-run-"))
    bentoml.serve(SERVICE, host=host, port=port, working_dir=str(Path.cwd()), blocking=True,
                  args=arguments.model_copy(update={"run_dir": run_dir}).as_arguments())
