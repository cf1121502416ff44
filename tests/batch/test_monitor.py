"""`insight monitor` through the CLI on the trained simulated base: tables, MLflow, the report."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from typer.testing import CliRunner

from serving.cli import app

runner = CliRunner()


def test_monitor_prints_deciles_and_captured_shares_and_logs_beside_training(tracking_env: Path, tmp_path) -> None:
    out = tmp_path / "monitor.json"
    result = runner.invoke(app, ["monitor", "--transactions", str(tracking_env), "--as-of", "2023-09-30",
                                 "--json", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "by decile of predicted purchase likelihood" in result.output and "buyers_captured" in result.output
    payload = json.loads(out.read_text())
    assert [d["decile"] for d in payload["deciles"]] == list(range(1, 11))
    assert sum(d["customers"] for d in payload["deciles"]) == payload["customers"] > 900
    shares = [c["buyers_captured"] for c in payload["captured"]]
    assert [c["top_share"] for c in payload["captured"]] == [0.1, 0.2, 0.3]
    assert 0.1 < shares[0] < shares[1] < shares[2] <= 1, "the top of the ranking holds more than its share"
    assert payload["deciles"][0]["buyer_lift"] > 1 > payload["deciles"][-1]["buyer_lift"]
    run = mlflow.get_run(payload["mlflow_run_id"])
    assert run.data.tags["job"] == "monitor" and run.data.tags["training_run_id"] == payload["training_run_id"]
    assert run.data.metrics["realised.buyers_captured_top10"] == shares[0]

    report = tmp_path / "report.html"
    assert runner.invoke(app, ["report", payload["training_run_id"], "--out", str(report)]).exit_code == 0
    html = report.read_text()
    assert "Did the predictions come true?" in html and payload["mlflow_run_id"] in html


def test_monitor_waits_for_the_horizon_to_pass(tracking_env: Path) -> None:
    result = runner.invoke(app, ["monitor", "--transactions", str(tracking_env), "--as-of", "2023-11-30"])
    assert result.exit_code == 2
    assert "runs to 2024-02-28 but the data ends 2023-12-31" in result.output.replace("\n", " ")

