"""DuckDB and Spark run the same feature definition: equal features, labels and training frames.

Data: the hand fixture (every edge case) plus a few hundred simulated customers (volume, all
channels, returns, multi-line orders). One local Spark session serves the whole test run.
"""

from __future__ import annotations

import pandas as pd
import pytest

from features.pipeline import build_features, build_labels, build_training_frame
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


def test_features_are_equal(transactions, spark_backend):
    _assert_same(
        build_features(transactions, AS_OF),
        build_features(transactions, AS_OF, backend=spark_backend),
    )


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
