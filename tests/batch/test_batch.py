"""Batch scoring end to end: one row per known customer, staged chunks that survive a crash or a
SIGKILL, drift against the training snapshot, the MLflow record, and Spark equal to DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.pipeline import build_features, load_snapshot
from features.schema import TRANSACTIONS_FILE
from serving.batch import OUTPUT_COLUMNS, run_batch
from serving.batch_tracking import EXPERIMENT, log_batch_run
from serving.cli import app
from training.coherence import score_violations
SCORED_AT = dt.date(2023, 12, 31)


def known_customers(store: Path) -> set[str]:
    return set(build_features(store / TRANSACTIONS_FILE, SCORED_AT)["customer_id"].astype(str))


def test_scores_every_known_customer_once(tracking_env: Path, champions, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    result = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, out, champions=champions, chunk_customers=300)
    scores = pd.read_parquet(out)
    assert list(scores.columns) == list(OUTPUT_COLUMNS)
    assert scores["customer_id"].is_unique
    assert set(scores["customer_id"]) == known_customers(tracking_env)
    assert result.summary["customers"] == len(scores)
    assert sum(result.summary["segments"].values()) == len(scores)
    assert json.loads(scores["model_versions"].iloc[0]) == champions.versions_by_name
    assert scores["churn_probability"].between(0, 1, inclusive="neither").all() and (scores["predicted_clv"] >= 0).all()
    assert set(score_violations(scores, SCORED_AT, champions.models.horizon_days).values()) == {0}
    assert not list(tmp_path.glob(".*")), "staging left behind"
    snapshot = load_snapshot(tracking_env / "snapshots", SCORED_AT)
    assert set(snapshot.index) == set(scores["customer_id"])


def test_a_crash_mid_run_resumes_without_loss_or_duplicates(tracking_env: Path, champions, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    seen: list[int] = []

    def crash_after_two(index: int, total: int, customers: int) -> None:
        seen.append(index)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, out, fmt="csv", champions=champions,
                  chunk_customers=250, on_chunk=crash_after_two)
    assert not out.exists()
    result = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, out, fmt="csv", champions=champions,
                       chunk_customers=250)
    assert result.resumed_chunks == 2
    scores = pd.read_csv(out, dtype={"customer_id": str})
    assert scores["customer_id"].is_unique and set(scores["customer_id"]) == known_customers(tracking_env)


def test_a_changed_job_does_not_reuse_stale_chunks(tracking_env: Path, champions, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"

    def stop(index: int, total: int, customers: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, out, champions=champions, chunk_customers=250,
                  on_chunk=stop)
    result = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, out, champions=champions, chunk_customers=400)
    assert result.resumed_chunks == 0
    assert pd.read_parquet(out)["customer_id"].is_unique


def test_sigkill_then_rerun_gives_exactly_one_row_per_customer(tracking_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    parts = tmp_path / ".scores.parquet.parts"
    command = [sys.executable, "-m", "serving", "score", "--transactions", str(tracking_env / TRANSACTIONS_FILE),
               "--as-of", SCORED_AT.isoformat(), "--out", str(out), "--chunk-customers", "20"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 3:
        assert first.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    written = len(list(parts.glob("part-*.parquet")))
    assert 3 <= written and not out.exists()

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f'"resumed_chunks": {written}' in rerun.stdout
    scores = pd.read_parquet(out)
    assert scores["customer_id"].is_unique and set(scores["customer_id"]) == known_customers(tracking_env)
    assert not parts.exists()


def test_drift_is_measured_and_shifted_features_are_named(tracking_env: Path, champions, tmp_path: Path) -> None:
    result = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "s.parquet", champions=champions,
                       drift_threshold=0.0)
    assert len(result.drift) > 20 and (result.drift >= 0).all()
    assert set(result.summary["drifted_features"]) == set(result.drift[result.drift > 0].index)
    strict = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "t.parquet", champions=champions,
                       drift_threshold=10.0)
    assert strict.summary["drifted_features"] == {}


def test_batch_run_is_logged_to_mlflow_with_model_versions(tracking_env: Path, champions, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tracking_env)
    result = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "s.parquet", champions=champions)
    run = mlflow.get_run(log_batch_run(result))
    assert run.data.params["as_of"] == SCORED_AT.isoformat()
    assert run.data.params["model.customer-churn"] == champions.versions["churn"]
    assert run.data.metrics["customers"] == result.summary["customers"]
    assert mlflow.get_experiment(run.info.experiment_id).name == EXPERIMENT

    report = CliRunner().invoke(app, ["report", run.info.run_id, "--out", str(tmp_path / "report.html")])
    assert report.exit_code == 2 and not (tmp_path / "report.html").exists()
    message = " ".join(report.output.split())
    training = mlflow.search_runs(search_all_experiments=True, filter_string="tags.job = 'train'")
    assert f"run {run.info.run_id} (score {SCORED_AT}, experiment '{EXPERIMENT}') is not a training run" in message
    assert all(run_id in message for run_id in training["run_id"]) and len(training) >= 1


def test_bad_format_is_refused_before_any_work(tracking_env: Path, champions, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--format must be one of parquet, csv"):
        run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "s.xlsx", fmt="xlsx", champions=champions)
    assert not list(tmp_path.iterdir())


def test_format_follows_the_out_suffix_unless_given(tracking_env: Path, champions, tmp_path: Path) -> None:
    as_csv = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "scores.csv", champions=champions)
    table = pd.read_csv(as_csv.out)
    assert list(table.columns) == list(OUTPUT_COLUMNS) and len(table) == as_csv.summary["customers"]
    as_parquet = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "scores", fmt="parquet",
                           champions=champions)
    assert len(pd.read_parquet(as_parquet.out)) == len(table)
    with pytest.raises(ValueError, match=r"names a csv file but --format is parquet"):
        run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "other.csv", fmt="parquet", champions=champions)
    assert not (tmp_path / "other.csv").exists()


@pytest.mark.spark
def test_spark_scores_equal_duckdb_scores(tracking_env: Path, champions, tmp_path: Path) -> None:
    duck = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "duck.parquet", champions=champions)
    spark = run_batch(tracking_env / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "spark.parquet", champions=champions,
                      engine="spark", chunk_customers=600)
    a, b = pd.read_parquet(duck.out), pd.read_parquet(spark.out)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)


def test_online_retail_rows_score_one_row_per_known_customer(tracking_env: Path, champions, online_retail_path,
                                                            tmp_path: Path) -> None:
    from features.ingest import ingest, load_mapping

    ingested = ingest(online_retail_path, load_mapping(preset="online-retail-ii"), tmp_path / "retail")
    as_of = dt.date(2010, 12, 31)
    result = run_batch(ingested.transactions_path, as_of, tmp_path / "retail.parquet", champions=champions)
    scores = pd.read_parquet(result.out)
    purchasers = set(build_features(ingested.transactions_path, as_of)["customer_id"].astype(str))
    lines = pd.read_parquet(ingested.transactions_path)
    known = set(lines.loc[lines["timestamp"] < pd.Timestamp(as_of + dt.timedelta(days=1), tz="UTC"), "customer_id"])
    assert scores["customer_id"].is_unique and set(scores["customer_id"]) == known
    assert set(scores.loc[scores["status"] == "scored", "customer_id"]) == purchasers
    assert result.summary["customers"] == len(known) >= 100
    assert sum(result.summary["customers_by_status"].values()) == len(known)
    unscored = scores[scores["status"] == "returns_only"]
    assert (unscored["segment_name"] == "returns only").all() and unscored["churn_probability"].isna().all()


def test_customers_without_a_paid_order_get_a_row_and_a_status(tracking_env: Path, champions, tmp_path: Path) -> None:
    from features.schema import to_arrow
    import pyarrow.parquet as pq

    lines = pd.read_parquet(tracking_env / TRANSACTIONS_FILE)
    extra = pd.DataFrame({
        "customer_id": ["zero-only", "zero-only", "returns-only"],
        "order_id": ["z1", "z2", "r1"],
        "timestamp": pd.to_datetime(["2023-06-01 10:00", "2023-09-01 10:00", "2023-05-02 09:00"], utc=True),
        "amount": [0.0, 0.0, -25.0],
        "quantity": [1.0, 1.0, -1.0],
        "channel": ["web", "web", "web"],
    })
    pq.write_table(to_arrow(pd.concat([lines, extra], ignore_index=True)), tmp_path / TRANSACTIONS_FILE)
    result = run_batch(tmp_path / TRANSACTIONS_FILE, SCORED_AT, tmp_path / "scores.parquet", champions=champions)
    scores = pd.read_parquet(result.out).set_index("customer_id")
    assert len(scores) == len(known_customers(tracking_env)) + 2
    assert result.summary["customers_by_status"] == {
        "no_paid_orders": 1, "returns_only": 1, "scored": len(scores) - 2}
    zero = scores.loc["zero-only"]
    assert zero["status"] == "no_paid_orders" and zero["segment_name"] == "no paid orders yet"
    bgnbd = champions.models.baselines.bgnbd_
    # One purchase event (the first zero-value order, 2023-06-01) and 213 days of age at 2023-12-31.
    p_90 = bgnbd.probability_of_purchase([0.0], [0.0], [213 / 7], t=90 / 7)[0]
    assert zero["p_purchase_90d"] == pytest.approx(p_90)
    assert 0 < zero["churn_probability"] < 1 and zero["expected_orders"] > 0 and zero["predicted_clv"] > 0
    gone = scores.loc["returns-only"]
    assert gone["status"] == "returns_only" and gone["segment_name"] == "returns only"
    assert pd.isna(gone["churn_probability"]) and pd.isna(gone["predicted_clv"])
