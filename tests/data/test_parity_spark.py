"""DuckDB and Spark run the same feature definition: equal features, labels and training frames.

Data: the hand fixtures (every edge case) plus a few hundred simulated customers (volume, all
channels, returns, multi-line orders) with seeded events of every type. One local Spark session
serves the whole test run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.events import EVENT_TYPES, to_canonical_events
from features.pipeline import ENGAGEMENT_COLUMNS, build_features, build_labels, build_training_frame
from features.synth import SimulationConfig, simulate

pytestmark = pytest.mark.spark

AS_OF = "2023-06-30"


@pytest.fixture(scope="module")
def transactions(hand_transactions) -> pd.DataFrame:
    config = SimulationConfig(n_customers=300, seed=5, start="2022-01-01", end="2023-12-31")
    simulated = simulate(config).transactions
    hand = hand_transactions.assign(timestamp=hand_transactions["timestamp"] - pd.DateOffset(months=9))
    return pd.concat([simulated, hand], ignore_index=True)


def _assert_same(duckdb_frame: pd.DataFrame, spark_frame: pd.DataFrame) -> None:
    assert list(spark_frame.columns) == list(duckdb_frame.columns)
    assert len(duckdb_frame) > 100
    pd.testing.assert_frame_equal(spark_frame, duckdb_frame, check_exact=False, rtol=1e-9, atol=1e-9)


def test_features_are_equal(transactions, events, spark_backend):
    """With events, so the engagement features are compared too (the path without events is
    compared by the tests below)."""
    duckdb_frame = build_features(transactions, AS_OF, events=events)
    assert duckdb_frame["has_email_events"].sum() > 100 and duckdb_frame["last_csat"].notna().sum() > 50
    assert duckdb_frame["email_open_rate_last_5"].between(0.01, 0.99).sum() > 20
    assert list(duckdb_frame.columns[-len(ENGAGEMENT_COLUMNS):]) == list(ENGAGEMENT_COLUMNS)
    _assert_same(duckdb_frame, build_features(transactions, AS_OF, events=events, backend=spark_backend))


def test_labels_are_equal(transactions, spark_backend):
    _assert_same(
        build_labels(transactions, AS_OF, 90),
        build_labels(transactions, AS_OF, 90, backend=spark_backend),
    )


def test_training_frames_are_equal(transactions, spark_backend):
    _assert_same(
        build_training_frame(transactions, AS_OF, 90, n_cutoffs=2),
        build_training_frame(transactions, AS_OF, 90, n_cutoffs=2, backend=spark_backend),
    )


def test_features_of_a_source_without_channels_or_categories_are_equal(transactions, spark_backend):
    bare = transactions.assign(channel=None, category=None)
    _assert_same(build_features(bare, AS_OF), build_features(bare, AS_OF, backend=spark_backend))


@pytest.fixture(scope="module")
def events(transactions, hand_events) -> pd.DataFrame:
    """Seeded events of every type for the simulated customers (ties in time and campaign
    included), plus the hand event fixture moved with the hand transactions."""
    rng = np.random.default_rng(17)
    customers = transactions["customer_id"].drop_duplicates().to_numpy()
    n = 6_000
    kinds = rng.choice(list(EVENT_TYPES), size=n)
    channel = np.where(np.char.startswith(kinds.astype(str), "email") | (kinds == "unsubscribe"), "email",
                       np.where(np.char.startswith(kinds.astype(str), "sms"), "sms", "web"))
    channel[(kinds == "unsubscribe") & (rng.random(n) < 0.3)] = "sms"
    csat = rng.random(n) < 0.5
    survey = np.where(csat, '{"survey": "csat"}', '{"survey": "nps"}')
    scores = np.where((kinds == "review") | csat, rng.integers(1, 6, n), rng.integers(0, 11, n)).astype(float)
    seconds = rng.integers(0, 540, n) * 86_400 + rng.choice([0, 3_600, 36_000], n)
    simulated = pd.DataFrame({
        "customer_id": rng.choice(customers, n),
        "timestamp": pd.Timestamp("2022-03-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
        "event_type": kinds, "channel": channel,
        "campaign_id": np.where(rng.random(n) < 0.8, rng.choice(["k1", "k2", "k3", "k4"], n), None),
        "value": np.where(np.isin(kinds, ["survey_response", "review"]), scores, np.nan),
        "properties": np.where(kinds == "survey_response", survey, None),
    })
    hand = hand_events.assign(timestamp=hand_events["timestamp"] - pd.DateOffset(months=9))
    return pd.concat([to_canonical_events(simulated), hand], ignore_index=True)

