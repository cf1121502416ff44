"""Fixtures for the feature pipeline tests: a small hand-checkable transaction table and one
Spark session for the whole test run.

The hand fixture, cutoff AS_OF = 2024-03-31 (a leap year: February has 29 days). "d-N" is the
day N days before the cutoff day; the features' expected values in test_features_*.py are
computed from this table.

  order  customer  timestamp (UTC)       amount  qty  product  category  channel   day
  A1     alice     2023-11-20 10:00       40.0    1   p1       books     web       d-132
  A1     alice     2023-11-20 10:00       20.0    2   p2       music     web       d-132
  A2     alice     2023-12-15 09:00      100.0    1   p3       books     store     d-107
  A3     alice     2024-02-10 12:00       30.0    3   p1       books     web       d-50
  A4     alice     2024-02-20 12:00      -25.0   -1   p3       books     store     d-40   return
  A5     alice     2024-03-25 08:00       50.0    1   p4       games     web       d-6
  B1     bob       2023-12-20 15:00      500.0    5   p5       gifts     store     d-102  single, festive
  C1     carol     2024-01-05 10:00       30.0    1   p6       food      app       d-86
  C2     carol     2024-01-05 18:00       20.0    2   p6       food      app       d-86   same day as C1
  C3     carol     2024-02-01 11:00        0.0    1   p8       samples   app       d-59   zero amount
  C4     carol     2024-03-01 12:00       10.0    -   -        -         -         d-30   no qty/product/channel
  C5     carol     2024-03-31 23:59:59    15.0    1   p6       food      app       d-0    last second of the cutoff day
  D1     dave      2024-01-10 09:00      -20.0   -1   p1       books     web       d-81   only a return
  --- after the cutoff (labels only; must never move a feature) ---
  A6     alice     2024-04-01 00:00:00    70.0    1   p1       books     web       d+1    first instant after the cutoff
  A7     alice     2024-04-20 10:00       40.0    1   p2       music     web       d+20
  C6     carol     2024-04-15 10:00      -10.0   -1   p6       food      app       d+15   return
  C7     carol     2024-05-01 00:00:00    25.0    1   p6       food      app       d+31   just past a 30-day horizon
  E1     erin      2024-04-10 10:00       80.0    1   p9       toys      market    d+10   new customer, new channel
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.schema import to_canonical_frame

AS_OF = dt.date(2024, 3, 31)

_COLUMNS = (
    "order_id",
    "customer_id",
    "timestamp",
    "amount",
    "quantity",
    "product_id",
    "category",
    "channel",
)
_ROWS = [
    ("A1", "alice", "2023-11-20 10:00", 40.0, 1, "p1", "books", "web"),
    ("A1", "alice", "2023-11-20 10:00", 20.0, 2, "p2", "music", "web"),
    ("A2", "alice", "2023-12-15 09:00", 100.0, 1, "p3", "books", "store"),
    ("A3", "alice", "2024-02-10 12:00", 30.0, 3, "p1", "books", "web"),
    ("A4", "alice", "2024-02-20 12:00", -25.0, -1, "p3", "books", "store"),
    ("A5", "alice", "2024-03-25 08:00", 50.0, 1, "p4", "games", "web"),
    ("B1", "bob", "2023-12-20 15:00", 500.0, 5, "p5", "gifts", "store"),
    ("C1", "carol", "2024-01-05 10:00", 30.0, 1, "p6", "food", "app"),
    ("C2", "carol", "2024-01-05 18:00", 20.0, 2, "p6", "food", "app"),
    ("C3", "carol", "2024-02-01 11:00", 0.0, 1, "p8", "samples", "app"),
    ("C4", "carol", "2024-03-01 12:00", 10.0, None, None, None, None),
    ("C5", "carol", "2024-03-31 23:59:59", 15.0, 1, "p6", "food", "app"),
    ("D1", "dave", "2024-01-10 09:00", -20.0, -1, "p1", "books", "web"),
    ("A6", "alice", "2024-04-01 00:00:00", 70.0, 1, "p1", "books", "web"),
    ("A7", "alice", "2024-04-20 10:00", 40.0, 1, "p2", "music", "web"),
    ("C6", "carol", "2024-04-15 10:00", -10.0, -1, "p6", "food", "app"),
    ("C7", "carol", "2024-05-01 00:00:00", 25.0, 1, "p6", "food", "app"),
    ("E1", "erin", "2024-04-10 10:00", 80.0, 1, "p9", "toys", "market"),
]


@pytest.fixture(scope="session")
def hand_cutoff() -> dt.date:
    """AS_OF, the hand fixture's cutoff."""
    return AS_OF


@pytest.fixture(scope="session")
def hand_transactions() -> pd.DataFrame:
    """The hand fixture in the module docstring, as a canonical transaction frame."""
    frame = pd.DataFrame(_ROWS, columns=list(_COLUMNS))
    return to_canonical_frame(frame.assign(timestamp=pd.to_datetime(frame["timestamp"], format="ISO8601", utc=True)))


@pytest.fixture(scope="session")
def hand_features(hand_transactions: pd.DataFrame) -> pd.DataFrame:
    """build_features on the hand fixture at AS_OF (DuckDB), indexed by customer_id."""
    from features.pipeline import build_features

    return build_features(hand_transactions, AS_OF).set_index("customer_id")


@pytest.fixture(scope="session")
def spark_backend():
    """One local Spark session for the whole test run (JVM start-up takes ~10-20 s)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from features.engine import connect

    backend = connect("spark", shuffle_partitions=1)
    yield backend
    SparkSession.getActiveSession().stop()
