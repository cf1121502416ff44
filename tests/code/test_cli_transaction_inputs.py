"""Commands that read `insight ingest` output say what to do when it is missing or empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = {
    "features": ["features", "--as-of", "1997-12-31", "--out", "out.parquet"],
    "score": ["score", "--as-of", "1997-12-31", "--out", "out.parquet"],
    "train": ["train", "--as-of", "1997-12-31", "--horizon-days", "182"],
}


def _prepare(kind: str, tmp_path: Path) -> Path:
    source = tmp_path / "ingested"
    if kind == "empty directory":
        source.mkdir()
    elif kind == "directory without parquet":
        source.mkdir()
        (source / "orders.csv").write_text("customer_id,timestamp,amount\nA,1997-01-02,3.5\n")
    return source


@pytest.mark.parametrize("kind", ["missing path", "empty directory", "directory without parquet"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_missing_or_empty_transactions_is_one_clear_line(tmp_path: Path, command: str, kind: str) -> None:
    source = _prepare(kind, tmp_path)
    args = [sys.executable, "-m", "serving", *COMMANDS[command], "--transactions", str(source)]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                            env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"})
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"no Parquet data at '{source}'" in output and "run `insight ingest` first" in output
    assert not (tmp_path / "out.parquet").exists()
    assert not (tmp_path / "mlflow.db").exists()
