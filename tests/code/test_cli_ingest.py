"""The `insight` command as a user runs it: help texts, exit codes, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

INSIGHT = [sys.executable, "-m", "serving"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*INSIGHT, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "ingest" in result.stdout and "demo" in result.stdout
    sub = run("ingest", "--help")
    assert sub.returncode == 0 and "--preset" in sub.stdout and "quarantine" in sub.stdout


def test_ingest_cdnow_prints_report(tmp_path: Path) -> None:
    result = run("ingest", "--preset", "cdnow", "--out", str(tmp_path / "cdnow"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows_in"] == 69_659 and report["customers"] == 23_570 and report["balanced"]
    assert sorted(p.name for p in (tmp_path / "cdnow").iterdir()) == [
        "quality_report.json", "quality_report.txt", "quarantine.parquet", "transactions.parquet"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["missing.csv", "--preset", "online-retail-ii"], "missing.csv: file not found"),
        (["wrong.csv", "--preset", "online-retail-ii"], "column 'Customer ID' (mapped to customer_id) not found"),
        ([], "give --preset NAME or --mapping FILE"),
    ],
)
def test_bad_input_is_one_clear_line_and_no_output(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "wrong.csv").write_text("a,b\n1,2\n")
    result = run("ingest", *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "out").exists()


def test_error_keeps_square_brackets_of_mapping_sections(tmp_path: Path) -> None:
    mapping = tmp_path / "shop.toml"
    mapping.write_text('[columns]\ncustomer_id = "cust"\norder_id = "day"\ntimestamp = "day"\namount = "value"\n')
    source = tmp_path / "sales.export"
    source.write_text("cust,day,value\nA,2024-01-02,3.5\n")
    result = run("ingest", str(source), "--mapping", str(mapping), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "set [source] format in the mapping" in result.stdout + result.stderr
