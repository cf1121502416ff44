"""build_features' contract: output shape and types, Parquet input read by the engine, validation."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.engine import connect
from features.pipeline import FEATURE_COLUMNS, build_features
from features.schema import TRANSACTIONS_FILE, to_arrow


def test_output_columns_types_and_order(hand_features):
    frame = hand_features.reset_index()
    channels = ["channel_share_app", "channel_share_store", "channel_share_web"]
    recent = ["channel_90d_app", "channel_90d_store", "channel_90d_web"]
    last = ["channel_last_app", "channel_last_store", "channel_last_web"]
    assert list(frame.columns) == ["customer_id", *FEATURE_COLUMNS, *channels, *recent, *last]
    assert (frame.drop(columns="customer_id").dtypes == "float64").all()
    assert frame["customer_id"].is_monotonic_increasing


@pytest.mark.parametrize("layout", ["file", "directory with transactions.parquet", "directory of parts"])
def test_parquet_input_equals_pandas_input(hand_transactions, hand_features, tmp_path, layout):
    table = to_arrow(hand_transactions)
    if layout == "file":
        source = tmp_path / "lines.parquet"
        pq.write_table(table, source)
    elif layout == "directory with transactions.parquet":
        source = tmp_path
        pq.write_table(table, tmp_path / TRANSACTIONS_FILE)
    else:
        source = tmp_path / "parts"
        source.mkdir()
        pq.write_table(table.slice(0, 7), source / "part-0.parquet")
        pq.write_table(table.slice(7), source / "part-1.parquet")
    from_parquet = build_features(source, "2024-03-31").set_index("customer_id")
    pd.testing.assert_frame_equal(from_parquet, hand_features)


def test_parquet_without_optional_columns(hand_transactions, tmp_path):
    required = ["customer_id", "order_id", "timestamp", "amount"]
    pq.write_table(to_arrow(hand_transactions).select(required), tmp_path / "minimal.parquet")
    features = build_features(tmp_path / "minimal.parquet", "2024-03-31", channels=[])
    assert features["distinct_products"].isna().all()
    assert features["orders"].tolist() == [4, 1, 4]


def test_a_cutoff_before_any_purchase_gives_an_empty_table_with_every_column(hand_transactions):
    features = build_features(hand_transactions, "2020-01-01")
    assert features.empty
    assert list(features.columns) == ["customer_id", *FEATURE_COLUMNS]


def test_a_shared_backend_gives_the_same_result(hand_transactions, hand_features):
    backend = connect("duckdb", memory_limit="1GB")
    features = build_features(hand_transactions, "2024-03-31", backend=backend)
    pd.testing.assert_frame_equal(features.set_index("customer_id"), hand_features)


def test_invalid_inputs_say_what_to_do(hand_transactions, tmp_path):
    with pytest.raises(ValueError, match="unknown engine 'polars'; choose one of: duckdb, spark"):
        build_features(hand_transactions, "2024-03-31", engine="polars")
    with pytest.raises(ValueError, match="as_of must be a whole date"):
        build_features(hand_transactions, "2024-03-31 12:00")
    with pytest.raises(ValueError, match="as_of must be a date"):
        build_features(hand_transactions, "end of March")
    with pytest.raises(FileNotFoundError, match="no Parquet data"):
        build_features(tmp_path / "absent", "2024-03-31")
    with pytest.raises(ValueError, match="lack required column 'amount'"):
        build_features(hand_transactions.drop(columns="amount"), "2024-03-31")
    with pytest.raises(TypeError, match="channels must be a list of channel names"):
        build_features(hand_transactions, "2024-03-31", channels="web")
    with pytest.raises(ValueError, match="apply to engine='spark' only"):
        connect("duckdb", spark_master="local[2]")


def test_duckdb_connection_settings():
    from features.engine import connect

    con = connect("duckdb", memory_limit="1GB").con
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN "
        "('enable_progress_bar', 'preserve_insertion_order', 'memory_limit')"
    ).fetchall())
    assert settings["enable_progress_bar"] == "false"
    assert settings["preserve_insertion_order"] == "false"
    assert settings["memory_limit"].startswith(("953", "1.0"))
