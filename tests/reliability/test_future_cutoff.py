"""A cutoff far past the data: refused by `insight score` (unless --allow-future) and `insight train`
before any work, and never picked by the service in place of a snapshot within its data."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from features.pipeline import save_snapshot, serving_snapshot
from features.pipeline.data_end import FutureCutoff, check_cutoff, last_transaction_day
from features.schema import TRANSACTIONS_FILE


def refused(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-m", "serving", *args], capture_output=True, text=True,
                            timeout=300, env={**env, "COLUMNS": "200"})
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_score_and_train_refuse_a_cutoff_far_past_the_last_transaction(store_copy: Path, tmp_path: Path) -> None:
    transactions = store_copy / TRANSACTIONS_FILE
    last = last_transaction_day(transactions)
    assert last == dt.date(2023, 12, 31)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store_copy / 'mlflow.db'}",
           "INSIGHT_SNAPSHOTS": str(tmp_path / "snapshots")}
    out = tmp_path / "scores.parquet"
    message = refused(["score", "--transactions", str(transactions), "--as-of", "2030-01-01", "--out", str(out)], env)
    assert "--as-of 2030-01-01 is 2,193 days after the last transaction" in message
    assert "(2023-12-31)" in message and "--allow-future" in message and "2024-03-30" in message
    assert not out.exists() and not (tmp_path / "snapshots").exists()

    message = refused(["train", "--transactions", str(transactions), "--as-of", "2024-06-01"], env)
    assert "--as-of 2024-06-01 is 153 days after the last transaction" in message
    assert "--allow-future" not in message


def test_the_allowed_gap_is_configurable_and_inclusive() -> None:
    last = dt.date(2023, 12, 31)
    check_cutoff(dt.date(2024, 3, 30), last, source="t")
    with pytest.raises(FutureCutoff, match="91 days after"):
        check_cutoff(dt.date(2024, 3, 31), last, source="t")
    check_cutoff(dt.date(2024, 3, 31), last, source="t", max_days=91)
    check_cutoff(dt.date(2030, 1, 1), last, source="t", allow_future=True)


def features_as_of(recency: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(recency))], "recency_days": recency,
                         "frequency": [1.0] * len(recency)})


def test_the_service_passes_over_a_snapshot_far_past_its_data(tmp_path: Path) -> None:
    save_snapshot(features_as_of([3.0, 40.0, None]), dt.date(1998, 6, 30), tmp_path)
    save_snapshot(features_as_of([11_508.0, 11_600.0, None]), dt.date(2030, 1, 1), tmp_path)

    frame, as_of = serving_snapshot(tmp_path)
    assert as_of == dt.date(1998, 6, 30) and list(frame["recency_days"].iloc[:2]) == [3.0, 40.0]
    _, pinned = serving_snapshot(tmp_path, as_of=dt.date(2030, 1, 1))
    assert pinned == dt.date(2030, 1, 1)
    _, tolerant = serving_snapshot(tmp_path, max_days_past_data=20_000)
    assert tolerant == dt.date(2030, 1, 1)


def test_only_far_future_snapshots_is_a_clear_load_failure(tmp_path: Path) -> None:
    save_snapshot(features_as_of([11_508.0]), dt.date(2030, 1, 1), tmp_path)
    with pytest.raises(FileNotFoundError, match=r"2030-01-01 \(11,508 days after its newest purchase\).*"
                                                r"INSIGHT_SNAPSHOT_AS_OF=2030-01-01"):
        serving_snapshot(tmp_path)
