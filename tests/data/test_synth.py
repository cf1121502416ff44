"""The simulator's data against its own ground truth: what the truth file says each customer is
must be visible in the transactions, and the same config must give the same data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.schema import TRANSACTION_SCHEMA, TRANSACTIONS_FILE
from features.synth import TRUTH_FILE, SimulationConfig, simulate, simulate_to_parquet, write_simulation


@pytest.fixture(scope="module")
def sim():
    return simulate(SimulationConfig(n_customers=4000, seed=3))


@pytest.fixture(scope="module")
def orders(sim) -> pd.DataFrame:
    """Purchase orders (returns left out) with each customer's truth attached."""
    purchases = sim.transactions[sim.transactions["amount"] > 0]
    per_order = purchases.groupby(["customer_id", "order_id"], as_index=False).agg(
        timestamp=("timestamp", "min"), value=("amount", "sum"), lines=("amount", "size")
    )
    return per_order.merge(sim.truth, on="customer_id", validate="many_to_one")


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    config = SimulationConfig(n_customers=300, seed=11)
    first, again = simulate(config), simulate(config)
    pd.testing.assert_frame_equal(first.transactions, again.transactions)
    pd.testing.assert_frame_equal(first.truth, again.truth)
    other = simulate(SimulationConfig(n_customers=300, seed=12))
    assert not other.transactions["amount"].equals(first.transactions["amount"])


def test_streamed_output_equals_in_memory_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["features.synth.simulate"], "CHUNK_CUSTOMERS", 250)
    config = SimulationConfig(n_customers=1000, seed=5)
    write_simulation(simulate(config), tmp_path / "memory")
    simulate_to_parquet(config, tmp_path / "stream")
    assert pq.ParquetFile(tmp_path / "stream" / TRANSACTIONS_FILE).metadata.num_row_groups == 4
    for name in (TRANSACTIONS_FILE, TRUTH_FILE):
        assert pq.read_table(tmp_path / "memory" / name).equals(pq.read_table(tmp_path / "stream" / name))


def test_output_is_the_canonical_table(sim) -> None:
    tx = sim.transactions
    assert list(tx.columns) == TRANSACTION_SCHEMA.names
    assert tx[["customer_id", "order_id", "timestamp", "amount"]].notna().all().all()
    start, end = pd.Timestamp(sim.config.start, tz="UTC"), pd.Timestamp(sim.config.end, tz="UTC")
    assert tx["timestamp"].between(start, end + pd.Timedelta(days=1)).all()
    assert set(tx["channel"]) == {"web", "app", "store"}
    assert tx["category"].nunique() >= 6
    returns = tx[tx["amount"] < 0]
    assert len(returns) > 0 and (returns["quantity"] < 0).all()
    assert (tx.loc[tx["amount"] > 0, "quantity"] > 0).all()


def test_behaviour_shares_follow_the_mix(sim) -> None:
    shares = sim.truth["behaviour"].value_counts(normalize=True)
    for behaviour, expected in sim.config.behaviour_mix.items():
        assert shares.get(behaviour, 0.0) == pytest.approx(expected, abs=0.03), behaviour


def test_acquisition_date_is_the_first_order_day(orders) -> None:
    first = orders.groupby("customer_id").agg(first=("timestamp", "min"), acquired=("acquisition_date", "first"))
    assert (first["first"].dt.normalize() == first["acquired"]).all()


def test_nobody_buys_after_their_churn_date(orders) -> None:
    churned = orders[orders["churn_date"].notna()]
    assert len(churned) > 0
    assert (churned["timestamp"].dt.normalize() <= churned["churn_date"]).all()
    assert orders.loc[orders["behaviour"] == "churner", "churn_date"].notna().mean() > 0.4


def test_one_time_buyers_buy_exactly_once(orders) -> None:
    counts = orders[orders["behaviour"] == "one_time"].groupby("customer_id").size()
    assert len(counts) > 0 and (counts == 1).all()


def test_festive_buyers_buy_big_baskets_in_november_december(orders) -> None:
    festive_months = orders["timestamp"].dt.month.isin([11, 12])
    by_behaviour = orders.assign(festive_month=festive_months).groupby("behaviour")
    in_season = by_behaviour["festive_month"].mean()
    assert in_season["festive"] > 0.85
    assert in_season.drop("festive").max() < 0.35
    value = by_behaviour["value"].mean()
    lines = by_behaviour["lines"].mean()
    assert value["festive"] > 1.8 * value.drop("festive").max()
    assert lines["festive"] > lines.drop("festive").max()
    per_year = orders[orders["behaviour"] == "festive"].groupby(
        ["customer_id", orders["timestamp"].dt.year]
    ).size()
    assert per_year.median() <= 2


def test_loyal_buy_more_often_than_regular_and_trends_show(orders) -> None:
    per_customer = orders.groupby(["behaviour", "customer_id"]).size().groupby("behaviour").median()
    assert per_customer["loyal"] > 2 * per_customer["regular"]
    truth = orders.drop_duplicates("customer_id").set_index("customer_id")
    assert (truth.loc[truth["behaviour"] == "growing", "trend"] > 0).all()
    assert (truth.loc[truth["behaviour"] == "shrinking", "trend"] < 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_customers": 0}, "n_customers must be an integer >= 1"),
        ({"start": "2023-01-01", "end": "2022-01-01"}, "must be after start"),
        ({"behaviour_mix": {"loyal": 0.5}}, "must sum to 1"),
        ({"behaviour_mix": {"vip": 1.0}}, "unknown behaviour 'vip'"),
        ({"start": "2023-01-01", "end": "2023-06-30"}, "festive buyers need a November or December"),
    ],
)
def test_bad_config_is_refused_with_what_to_do(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationConfig(**kwargs)


def test_cli_writes_transactions_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    args = ["--out", str(out), "--customers", "500", "--seed", "2", "--mix", "loyal=0.5,one_time=0.5"]
    result = subprocess.run([sys.executable, "-m", "serving", "synth", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "customers" in result.stdout and "loyal: " in result.stdout
    truth = pd.read_parquet(out / TRUTH_FILE)
    assert len(truth) == 500 and set(truth["behaviour"]) == {"loyal", "one_time"}
    assert pd.read_parquet(out / TRANSACTIONS_FILE)["customer_id"].isin(truth["customer_id"]).all()

    bad = subprocess.run([sys.executable, "-m", "serving", "synth", "--out", str(tmp_path / "bad"),
                          "--mix", "loyal"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "not name=share" in bad.stderr
    assert not (tmp_path / "bad").exists()
