"""What a newcomer meets after the demo: the README's next commands read what the demo wrote, a
busy port is one line before any work, and the drift warning says why scoring later drifts."""

from __future__ import annotations

import re
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serving.batch_cli import drift_note
from serving.cli import app
from serving.demo_cli import DEMO_BASE, DEMO_DIR, DEMO_TRANSACTIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def section_commands(heading: str) -> list[list[str]]:
    """The `insight` commands in the bash blocks of the README section `heading`, as argv lists."""
    text = README.read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [shlex.split(line.split("#", 1)[0])[1:] for block in blocks
            for line in block.replace("\\\n", " ").splitlines() if line.startswith(".venv/bin/insight ")]


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_batch_scoring_example_reads_what_the_demo_wrote() -> None:
    score = next(argv for argv in section_commands("Batch scoring and audiences") if argv[0] == "score")
    assert option(score, "--transactions") == str(DEMO_DIR / DEMO_TRANSACTIONS)
    assert option(score, "--base") == DEMO_BASE
    assert option(score, "--as-of") == "1998-06-30"


def test_the_drift_warning_says_why_scoring_months_after_training_drifts() -> None:
    """The demo trains as of 1997-12-31 and scores 1998-06-30: 181 days, about six months."""
    summary = {"drifted_features": {"recency_days": 0.41, "tenure_days": 0.3}, "trained_as_of": "1997-12-31",
               "as_of": "1998-06-30"}
    note = drift_note(summary)
    assert note.startswith("recency_days, tenure_days moved away from the champion's training data")
    assert "Scoring 181 days (about 6 months) after the champions' cutoff 1997-12-31 is expected" in note
    assert "retrain as of 1998-06-30" in note
    fresh = drift_note({**summary, "as_of": "1998-01-10"})
    assert fresh.endswith("the base changed since 1997-12-31: consider retraining")


@pytest.fixture()
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_busy_port_is_one_line_naming_it_and_the_option(busy_port: int) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", str(busy_port), "--no-auth"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: port {busy_port} is in use; stop what runs there or choose another with --port N"]


def test_the_demo_checks_its_port_before_any_work(busy_port: int, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--port", str(busy_port), "--workdir", str(tmp_path / "demo")])
    assert result.exit_code == 2 and not (tmp_path / "demo").exists()
    assert f"port {busy_port} is in use" in result.output and "--no-serve" in result.output
