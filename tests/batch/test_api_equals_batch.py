"""The API and batch scoring give the same numbers for the same customers and cutoff.

Both go through `training.predict`: batch scoring writes the scores file and the snapshot, `/score`
answers from the snapshot scored when the set was loaded, `/score_history` from the customers' own
transactions. On a base too small to refit the baselines, the batch scores with the parameters
stored with the models, as the API always does, so all three must agree to the last digit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.pipeline import load_snapshot
from features.schema import TRANSACTIONS_FILE
from serving.batch import run_batch
from serving.realtime import score_histories, score_ids
from serving.schemas import CustomerHistory, Scores, Transaction
from serving.state import prepare
from training.predict import MIN_CUSTOMERS_TO_REFIT

pytestmark = pytest.mark.slow
SCORED_AT = dt.date(2023, 12, 31)
FIELDS = tuple(Scores.model_fields)
NUMBERS = ("churn_probability", "expected_orders", "p_purchase_30d", "p_purchase_90d", "predicted_clv")


def _histories(lines: pd.DataFrame, ids: list[str]) -> list[CustomerHistory]:
    fields = list(Transaction.model_fields)
    by_id = dict(tuple(lines.groupby("customer_id")))
    return [CustomerHistory(customer_id=i, transactions=[{k: (None if pd.isna(v) else v) for k, v in row.items()}
                                                         for row in by_id[i][fields].to_dict("records")])
            for i in ids]


def _expected(row: pd.Series, field: str):
    value = row[field]
    if field == "expected_next_purchase_date":
        return None if pd.isna(value) else value
    if field == "next_purchase_after_horizon":
        return bool(value)
    return value.item() if hasattr(value, "item") else value


def test_score_and_score_history_answer_the_batch_files_numbers(tracking_env: Path, champions, tmp_path: Path) -> None:
    lines = pd.read_parquet(tracking_env / TRANSACTIONS_FILE)
    lines = lines[lines["timestamp"] < pd.Timestamp(SCORED_AT, tz="UTC") + pd.Timedelta(days=1)]
    ids = sorted(lines["customer_id"].astype(str).unique())[:300]
    lines = lines[lines["customer_id"].isin(ids)]
    (tmp_path / "base").mkdir()
    lines.to_parquet(tmp_path / "base" / TRANSACTIONS_FILE, index=False)
    out = tmp_path / "scores.parquet"
    result = run_batch(tmp_path / "base" / TRANSACTIONS_FILE, SCORED_AT, out, champions=champions,
                       snapshots=tmp_path / "snapshots")
    assert result.summary["baselines"].startswith("stored parameters"), result.summary["baselines"]
    batch = pd.read_parquet(out).set_index("customer_id")
    assert len(batch) == len(ids) < MIN_CUSTOMERS_TO_REFIT
    assert batch["status"].eq("scored").sum() > 100

    serving = prepare(champions.models, champions.versions, load_snapshot(tmp_path / "snapshots", SCORED_AT),
                      SCORED_AT, "snapshot")
    answered = {"/score": score_ids(serving, ids),
                "/score_history": score_histories(serving, _histories(lines, ids), SCORED_AT)}
    for route, answer in answered.items():
        assert [c.customer_id for c in answer.customers] == ids
        for customer in answer.customers:
            row = batch.loc[customer.customer_id]
            if row["status"] == "returns_only":
                assert customer.status == "no_orders" and customer.scores is None, route
                continue
            got, expected = customer.scores.model_dump(), {f: _expected(row, f) for f in FIELDS}
            where = (route, customer.customer_id)
            assert {f: got[f] for f in NUMBERS} == pytest.approx({f: expected[f] for f in NUMBERS}, rel=1e-12), where
            assert {f: got[f] for f in FIELDS if f not in NUMBERS} == {
                f: expected[f] for f in FIELDS if f not in NUMBERS}, where
