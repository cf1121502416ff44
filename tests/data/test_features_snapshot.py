"""The feature snapshot store: layout, metadata, latest-snapshot lookup and refusals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.pipeline import (
    FEATURE_SCHEMA_VERSION,
    list_snapshots,
    load_latest_snapshot,
    load_snapshot,
    save_snapshot,
)


@pytest.fixture()
def features(hand_features) -> pd.DataFrame:
    return hand_features.reset_index()


def test_snapshot_records_cutoff_and_schema_version_in_name_and_metadata(features, tmp_path):
    path = save_snapshot(features, "2024-03-31", tmp_path)
    assert path == tmp_path / f"schema_v{FEATURE_SCHEMA_VERSION}" / "features_2024-03-31.parquet"
    metadata = pq.read_schema(path).metadata
    assert metadata[b"customer_insight.as_of"] == b"2024-03-31"
    assert metadata[b"customer_insight.feature_schema_version"] == str(FEATURE_SCHEMA_VERSION).encode()


def test_round_trip_indexes_by_customer_for_lookup(features, tmp_path):
    save_snapshot(features, dt.date(2024, 3, 31), tmp_path)
    loaded = load_snapshot(tmp_path, "2024-03-31")
    pd.testing.assert_frame_equal(loaded.reset_index(), features)
    assert loaded.loc[["carol", "alice"], "orders"].tolist() == [4, 4]
    assert loaded.loc["bob", "spend_total"] == 500


def test_latest_snapshot_is_the_latest_cutoff(features, tmp_path):
    for day in ("2024-03-31", "2024-01-31", "2024-02-29"):
        save_snapshot(features.assign(spend_total=float(day[5:7])), day, tmp_path)
    assert list_snapshots(tmp_path) == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    latest, as_of = load_latest_snapshot(tmp_path)
    assert as_of == dt.date(2024, 3, 31)
    assert (latest["spend_total"] == 3).all()


def test_a_misplaced_file_is_refused(features, tmp_path):
    source = save_snapshot(features, "2024-01-31", tmp_path)
    source.rename(source.with_name("features_2024-03-31.parquet"))
    with pytest.raises(ValueError, match="holds as_of=2024-01-31"):
        load_latest_snapshot(tmp_path)


def test_missing_snapshots_say_what_exists(features, tmp_path):
    with pytest.raises(FileNotFoundError, match="save_snapshot"):
        load_latest_snapshot(tmp_path)
    save_snapshot(features, "2024-01-31", tmp_path)
    with pytest.raises(FileNotFoundError, match="available: 2024-01-31"):
        load_snapshot(tmp_path, "2024-02-29")


def test_duplicate_customers_are_refused(features, tmp_path):
    with pytest.raises(ValueError, match="exactly one row per non-null customer_id"):
        save_snapshot(pd.concat([features, features.head(1)]), "2024-03-31", tmp_path)
