"""`python -m serving` is the `insight` command."""

from serving.cli import app

app(prog_name="insight")
