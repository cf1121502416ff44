"""The README's commands agree with what the programs do (checked, not only read)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from serving.cli import DEMO_DIR, DEMO_TRANSACTIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def section_commands(heading: str) -> list[list[str]]:
    """The `insight` commands in the bash blocks of the README section `heading`, as argv lists."""
    text = README.read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [shlex.split(line.split("#", 1)[0])[1:] for block in blocks for line in block.splitlines()
            if line.startswith(".venv/bin/insight ")]


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_batch_scoring_example_reads_what_the_demo_wrote() -> None:
    score = next(argv for argv in section_commands("Batch scoring and audiences") if argv[0] == "score")
    assert option(score, "--transactions") == str(DEMO_DIR / DEMO_TRANSACTIONS)
    assert option(score, "--as-of") == "1998-06-30"
