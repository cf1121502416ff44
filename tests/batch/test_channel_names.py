"""Channel names are data: the store's channels ("Web Shop", "Cửa hàng", "App") keep their shares from
training through the registry and batch scoring (DuckDB and Spark) to the API.

Column names are slugs of the channel names (channel_share_web_shop, channel_share_c_a_h_ng) and
cannot be turned back into them; the models keep the names as they are in the data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.pipeline import build_scoring_frame, load_snapshot
from features.schema import TRANSACTIONS_FILE
from serving.batch import run_batch
from serving.realtime import score_histories
from serving.schemas import CustomerHistory, Transaction
from serving.state import prepare
from training.baselines import BASELINE_COLUMNS
from training.explain import channel_names, describe
from training.predict import score_frame, with_baselines_of
from named_channels import CHANNEL_NAMES, MIXED_CUSTOMER

SCORED_AT = dt.date(2023, 12, 31)
SHARES = {"Web Shop": "channel_share_web_shop", "Cửa hàng": "channel_share_c_a_h_ng", "App": "channel_share_app"}


def _assert_mixed_shares(frame: pd.DataFrame) -> None:
    """MIXED_CUSTOMER's shares by hand, and every paying customer's shares adding up to one."""
    assert frame.loc[MIXED_CUSTOMER, SHARES["Web Shop"]] == pytest.approx(2 / 3)
    assert frame.loc[MIXED_CUSTOMER, SHARES["Cửa hàng"]] == pytest.approx(1 / 3)
    assert frame.loc[MIXED_CUSTOMER, SHARES["App"]] == 0
    paid = frame[frame["status"].eq("scored")] if "status" in frame.columns else frame
    assert paid[list(SHARES.values())].sum(axis=1).to_numpy() == pytest.approx(1.0)


def test_registered_models_keep_the_channel_names_and_use_them(champions) -> None:
    models = champions.models
    assert models.channels == sorted(CHANNEL_NAMES.values())
    importances = [model.importance() for model in (models.churn, models.clv, models.next_purchase)]
    used = [column for importance in importances if importance is not None
            for column, gain in importance.items() if column.startswith("channel_") and gain > 0]
    assert used, "no model splits on a channel column, so the scores below could not show a lost channel"


def test_training_and_scoring_frames_agree_on_the_shares(tracking_env: Path, champions) -> None:
    lines = pd.read_parquet(tracking_env / TRANSACTIONS_FILE)
    as_of = dt.date.fromisoformat(champions.models.as_of)
    scoring = build_scoring_frame(lines, as_of, champions.models.horizon_days, channels=champions.models.channels)
    _assert_mixed_shares(scoring.set_index("customer_id"))
    row = scoring.set_index("customer_id").loc[MIXED_CUSTOMER]
    names = channel_names(champions.models.channels)
    assert describe(SHARES["Cửa hàng"], row, names) == "33% of orders through Cửa hàng"
    assert describe("channel_last_web_shop", row, names) == "last purchase through Web Shop"


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_batch_and_api_see_the_channel_shares(tracking_env: Path, champions, tmp_path: Path, engine: str) -> None:
    transactions = tracking_env / TRANSACTIONS_FILE
    out = tmp_path / "scores.parquet"
    run_batch(transactions, SCORED_AT, out, champions=champions, engine=engine, snapshots=tmp_path / "snapshots")
    snapshot = load_snapshot(tmp_path / "snapshots", SCORED_AT)
    _assert_mixed_shares(snapshot)
    batch = pd.read_parquet(out).set_index("customer_id")
    serving = prepare(champions.models, champions.versions, snapshot, SCORED_AT, "snapshot")
    ids = [MIXED_CUSTOMER, *snapshot.index[snapshot["status"].eq("scored")][:40]]
    assert {i: serving.scores[i].churn_probability for i in ids} == pytest.approx(
        batch.loc[ids, "churn_probability"].to_dict(), abs=1e-9)

    lines = pd.read_parquet(transactions)
    lines = lines[lines["customer_id"].isin(ids) & (lines["timestamp"] < pd.Timestamp(SCORED_AT, tz="UTC")
                                                    + pd.Timedelta(days=1))]
    fields = list(Transaction.model_fields)
    histories = [CustomerHistory(customer_id=cid, transactions=[
        {k: (None if pd.isna(v) else v) for k, v in row.items()} for row in group[fields].to_dict("records")])
        for cid, group in lines.groupby("customer_id")]
    answered = {c.customer_id: c.scores for c in score_histories(serving, histories, SCORED_AT).customers}
    # A history alone is scored with the baseline parameters stored with the models (the batch refits
    # them on the whole base), so the API must equal the snapshot's features under those parameters.
    features = snapshot.loc[ids].reset_index().drop(columns=list(BASELINE_COLUMNS))
    expected = score_frame(champions.models, with_baselines_of(champions.models, features)).set_index("customer_id")
    for column in ("churn_probability", "expected_orders", "predicted_clv"):
        got = {i: getattr(answered[i], column) for i in ids}
        assert got == pytest.approx(expected.loc[ids, column].to_dict(), rel=1e-9, abs=1e-12), column
