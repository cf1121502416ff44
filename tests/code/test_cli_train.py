"""`insight synth`, `ingest`, `train` and `evaluate` as a user runs them, into a fresh MLflow store.

Training reads the `insight ingest` output directory, which also holds the quarantine and the
quality report: only its transaction table is read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from training.bases import Base

MODEL_NAMES = Base("shop").model_names

MAPPING = """name = "simulated shop"
[columns]
customer_id = "customer_id"
order_id = "order_id"
timestamp = "timestamp"
amount = "amount"
quantity = "quantity"
product_id = "product_id"
category = "category"
channel = "channel"
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("cli-train")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "COLUMNS": "200"}
    synth = subprocess.run([sys.executable, "-m", "serving", "synth", "--out", str(root / "base"), "--customers",
                            "2000", "--start", "2022-01-01", "--end", "2023-12-31", "--seed", "3"],
                           capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert synth.returncode == 0, synth.stderr
    (root / "shop.toml").write_text(MAPPING)
    ingest = subprocess.run([sys.executable, "-m", "serving", "ingest", str(root / "base" / "transactions.parquet"),
                             "--mapping", str(root / "shop.toml"), "--out", str(root / "ingested")],
                            capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    return root, env


def insight(workspace: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    root, env = workspace
    return subprocess.run([sys.executable, "-m", "serving", *args], capture_output=True, text=True, cwd=root,
                          env=env, timeout=600)


def assert_quiet(result: subprocess.CompletedProcess[str]) -> None:
    """No MLflow progress bars, table-creation INFO lines or advice warnings in a command's output."""
    output = result.stdout + result.stderr
    for noise in ("Downloading artifacts", "Creating initial MLflow database tables", "Inferred schema contains integer",
                  "An input example was not provided", "Passing a Python object"):
        assert noise not in output, output[-2000:]


def test_train_on_the_ingest_directory_registers_four_champions(workspace) -> None:
    root, env = workspace
    result = insight(workspace, "train", "--transactions", "ingested", "--as-of", "2023-09-30", "--horizon-days", "91",
                     "--n-cutoffs", "2", "--base", "shop")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation: out of time" in result.stdout
    assert_quiet(result)
    steps = [line for line in result.stderr.splitlines() if "INFO train shop as of 2023-09-30: " in line]
    for step in ("building features and labels", "validation fit: churn", "final fit: churn", "registering clv",
                 "recording the set as champion"):
        assert any(step in line for line in steps), result.stderr[-3000:]
    assert "first run of this base: no estimate yet" in steps[0] and "s elapsed" in steps[-1]
    for name in MODEL_NAMES.values():
        assert f"{name} v1 -> champion" in result.stdout
    client = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"])
    for name in MODEL_NAMES.values():
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    run_id = result.stdout.split("MLflow run: ")[1].split()[0]
    assert f"insight report {run_id} --out report.html" in result.stdout
    run = client.get_run(run_id)
    elapsed = {line.split(": ", 1)[1].split(" (")[0]: float(re.search(r"([\d.]+) s elapsed", line).group(1))
               for line in steps}
    assert (run.info.end_time - run.info.start_time) / 1000 >= elapsed["done"] - elapsed["building features and labels"] - 0.2
    assert run.data.params["as_of"] == "2023-09-30" and run.data.params["horizon_days"] == "91"

    evaluation = insight(workspace, "evaluate", "--transactions", "ingested", "--as-of", "2023-09-30", "--base", "shop")
    assert evaluation.returncode == 0, evaluation.stdout + evaluation.stderr
    assert_quiet(evaluation)
    assert "2023-09-30 + 91 days" in evaluation.stdout
    for task in ("churn", "clv", "next_purchase"):
        assert f"│ {task}" in evaluation.stdout

    other = insight(workspace, "evaluate", "--transactions", "ingested", "--as-of", "2023-06-30", "--horizon-days", "30",
                    "--base", "shop")
    assert other.returncode == 2
    assert "the champions predict 91 days ahead, not 30" in " ".join((other.stdout + other.stderr).split())
