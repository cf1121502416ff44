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


CANONICAL_ORDERS = (
    "customer_id,order_id,timestamp,amount,quantity,product_id,channel\n"
    "A,o1,2024-01-02 10:00:00,12.5,1,P1,web\n"
    "A,o2,2024-02-03 11:30:00,-4.0,-1,P1,web\n"
    "B,o3,2024-01-05 09:00:00,7,2,P2,store\n"
)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_canonical_file_ingests_without_a_mapping(tmp_path: Path, suffix: str) -> None:
    import pandas as pd
    from typer.testing import CliRunner

    from serving.cli import app

    source = tmp_path / f"orders{suffix}"
    if suffix == ".csv":
        source.write_text(CANONICAL_ORDERS)
    else:
        (tmp_path / "orders.csv").write_text(CANONICAL_ORDERS)
        pd.read_csv(tmp_path / "orders.csv", dtype=str).to_parquet(source)
    result = CliRunner().invoke(app, ["ingest", str(source), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mapping"] == "canonical" and report["rows_in"] == 3 and report["rows_accepted"] == 3
    lines = pd.read_parquet(tmp_path / "out" / "transactions.parquet")
    assert lines["amount"].tolist() == [12.5, -4.0, 7.0]
    assert lines["product_id"].tolist() == ["P1", "P1", "P2"]
    assert lines["channel"].tolist() == ["web", "web", "store"]


def test_a_file_not_in_canonical_columns_names_what_it_lacks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    source = tmp_path / "sales.csv"
    source.write_text("customer_id,day,value\nA,2024-01-02,3.5\n")
    result = CliRunner().invoke(app, ["ingest", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "give --preset NAME or --mapping FILE" in message
    assert "lacks order_id, timestamp, amount" in message
    assert "canonical columns: customer_id, order_id, timestamp, amount" in message
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_ingest_events_writes_the_event_table_and_fails_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "activity.csv"
    source.write_text("Email,Action,Timestamp,Campaign\nann@shop.vn,sent,2024-05-01 08:00,spring\n"
                      "ann@shop.vn,open,2024-05-01 09:00,spring\nann@shop.vn,opened twice,2024-05-01 09:00,spring\n")
    out = tmp_path / "events"
    result = run("ingest-events", str(source), "--preset", "email-activity", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows_accepted"] == 2 and report["quarantined_by_reason"] == {"unknown_event_type": 1}
    assert sorted(p.name for p in out.iterdir()) == [
        "events.parquet", "quality_report.json", "quality_report.txt", "quarantine.parquet"]
    failed = run("ingest-events", str(tmp_path / "nope.csv"), "--preset", "email-activity",
                 "--out", str(tmp_path / "other"))
    assert failed.returncode == 2 and "nope.csv: file not found" in failed.stderr
    assert not (tmp_path / "other").exists()
    unknown = run("ingest-events", str(source), "--out", str(tmp_path / "other"))
    assert unknown.returncode == 2 and "not in the canonical event layout" in " ".join(unknown.stderr.split())


def test_features_with_events_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("customer_id,order_id,timestamp,amount\nann@shop.vn,o1,2024-04-02,30\n"
                                         "bo,o2,2024-04-03,12\n")
    (tmp_path / "activity.csv").write_text("Email,Action,Timestamp,Campaign\nann@shop.vn,sent,2024-05-01 08:00,k1\n"
                                           "ann@shop.vn,open,2024-05-01 09:00,k1\nann@shop.vn,open,2024-06-01 09:00,k1\n")
    assert run("ingest", str(tmp_path / "orders.csv"), "--out", str(tmp_path / "tx")).returncode == 0
    assert run("ingest-events", str(tmp_path / "activity.csv"), "--preset", "email-activity",
               "--out", str(tmp_path / "ev"), "--now", "2024-07-01").returncode == 0
    result = run("features", "--transactions", str(tmp_path / "tx"), "--events", str(tmp_path / "ev"),
                 "--as-of", "2024-05-31", "--out", str(tmp_path / "f.parquet"))
    assert result.returncode == 0, result.stderr
    import pandas as pd

    table = pd.read_parquet(tmp_path / "f.parquet").set_index("customer_id")
    assert table.loc["ann@shop.vn", ["has_email_events", "email_open_rate_last_5", "days_since_last_open"]].tolist() \
        == [1.0, 1.0, 30.0]
    assert table.loc["bo", "has_email_events"] == 0.0


def test_synth_with_events_feeds_the_features_command(tmp_path: Path) -> None:
    made = run("synth", "--out", str(tmp_path / "base"), "--customers", "300", "--start", "2023-01-01",
               "--end", "2023-12-31", "--events")
    assert made.returncode == 0, made.stderr
    assert " events for 300 customers" in made.stdout
    result = run("features", "--transactions", str(tmp_path / "base"), "--events", str(tmp_path / "base"),
                 "--as-of", "2023-09-30", "--out", str(tmp_path / "f.parquet"))
    assert result.returncode == 0, result.stderr
    import pandas as pd

    table = pd.read_parquet(tmp_path / "f.parquet")
    assert table["has_web_events"].mean() > 0.5 and table["email_open_rate_last_5"].notna().mean() > 0.5
