"""Coherent predictions for every customer of real bases: CDNOW (as the demo trains and scores it)
and Online Retail I (skipped without ../shared/data). The simulated base is checked where batch
scoring writes its scores (tests/batch/test_batch.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping
from training.coherence import score_violations
from training.config import TrainConfig
from training.job import train
from training.predict import score

pytestmark = pytest.mark.slow

SMALL = {"n_estimators": 30, "num_leaves": 15, "min_child_samples": 50}


def scored_base(transactions: Path, as_of: dt.date, horizon_days: int, scored_at: dt.date) -> pd.DataFrame:
    """Small models trained as of `as_of` on one cutoff, every customer scored at `scored_at`."""
    data = pd.read_parquet(transactions, filters=[("timestamp", "<", pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1))])
    config = TrainConfig(as_of=as_of, horizon_days=horizon_days, n_cutoffs=1, seasonal_years=0)
    models = train(data, config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL}).models
    return score(models, transactions, scored_at)


def assert_coherent(scores: pd.DataFrame, scored_at: dt.date, horizon_days: int) -> None:
    assert set(score_violations(scores, scored_at, horizon_days).values()) == {0}
    rows = scores[scores["churn_probability"].notna().to_numpy()]
    dated = rows["expected_next_purchase_date"].notna().to_numpy()
    assert (dated == (rows["churn_probability"] <= 0.5).to_numpy()).all()
    assert 0 < dated.sum() < len(rows)


def test_every_cdnow_customer_is_coherent(tmp_path: Path) -> None:
    """The issue's case: 3,492 of CDNOW's customers had P(90d) > 1 - churn at 1998-06-30."""
    transactions = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), tmp_path / "cdnow").transactions_path
    scores = scored_base(transactions, dt.date(1997, 12, 31), 182, dt.date(1998, 6, 30))
    assert len(scores) == 23_570 and scores["customer_id"].is_unique
    assert_coherent(scores, dt.date(1998, 6, 30), 182)


def test_every_online_retail_customer_is_coherent(online_retail_i_path: Path, tmp_path: Path) -> None:
    ingested = ingest(online_retail_i_path, load_mapping(preset="online-retail-ii"), tmp_path / "ori")
    scores = scored_base(ingested.transactions_path, dt.date(2011, 6, 30), 90, dt.date(2011, 9, 30))
    assert len(scores) > 3_000 and scores["customer_id"].is_unique
    assert_coherent(scores, dt.date(2011, 9, 30), 90)
