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


# The hand event fixture, same cutoff. Expected engagement features in test_features_engagement.py.
#   alice  web: sessions d-0 (23:59:59), d-5, d-7, d-20, d-45, d-100; product views d-1, d-31, d-60;
#               carts d-10 (before her last purchase, d-6), d-6 09:00 (same day as it), d-2
#          email: sent k1 d-70 (opened d-69), k2 d-40, k3 d-20 (clicked 1 h later), k4 d-10 (opened
#               d-9), k5 d-5 08:00 (an open of k5 at 07:00, before the send), k6 d-3
#          feedback: NPS 9 d-100, NPS 6 d-15, CSAT 4 d-30; reviews 5 (d-50) and 2 (d-40)
#          after the cutoff: a session at the first instant, an unsubscribe, an open, an NPS of 0
#   bob    email: sent k2 d-40 with a bounce at the same instant, unsubscribe (email) d-12; sms sent d-8
#          service: ticket opened d-95, resolved d-90, opened d-3
#   carol  no events.   dave: a session (only returns, so no feature row).   pat: a prospect.
_EVENT_COLUMNS = ("customer_id", "timestamp", "event_type", "channel", "campaign_id", "product_id", "value",
                  "properties")
_EVENT_ROWS = [
    *(("alice", ts, "session", "web", None, None, None, None) for ts in
      ("2024-03-31 23:59:59", "2024-03-26 10:00", "2024-03-24 10:00", "2024-03-11 10:00", "2024-02-15 10:00",
       "2023-12-22 10:00")),
    *(("alice", ts, "product_view", "web", None, "p4", None, None) for ts in
      ("2024-03-30 10:00", "2024-02-29 10:00", "2024-01-31 10:00")),
    *(("alice", ts, "add_to_cart", "app", None, "p4", None, None) for ts in
      ("2024-03-21 10:00", "2024-03-25 09:00", "2024-03-29 10:00")),
    ("alice", "2024-01-21 08:00", "email_sent", "email", "k1", None, None, None),
    ("alice", "2024-01-22 08:00", "email_open", "email", "k1", None, None, None),
    ("alice", "2024-02-20 08:00", "email_sent", "email", "k2", None, None, None),
    ("alice", "2024-03-11 08:00", "email_sent", "email", "k3", None, None, None),
    ("alice", "2024-03-11 09:00", "email_click", "email", "k3", None, None, None),
    ("alice", "2024-03-21 08:00", "email_sent", "email", "k4", None, None, None),
    ("alice", "2024-03-22 08:00", "email_open", "email", "k4", None, None, None),
    ("alice", "2024-03-26 07:00", "email_open", "email", "k5", None, None, None),
    ("alice", "2024-03-26 08:00", "email_sent", "email", "k5", None, None, None),
    ("alice", "2024-03-28 08:00", "email_sent", "email", "k6", None, None, None),
    ("alice", "2023-12-22 12:00", "survey_response", "survey", None, None, 9.0, '{"survey": "nps"}'),
    ("alice", "2024-03-16 12:00", "survey_response", "survey", None, None, 6.0, '{"survey": "nps"}'),
    ("alice", "2024-03-01 12:00", "survey_response", "survey", None, None, 4.0, '{"survey": "csat"}'),
    ("alice", "2024-02-10 12:00", "review", "web", None, "p1", 5.0, None),
    ("alice", "2024-02-20 12:00", "review", "web", None, "p3", 2.0, None),
    ("alice", "2024-04-01 00:00:00", "session", "web", None, None, None, None),
    ("alice", "2024-04-02 10:00", "unsubscribe", "email", None, None, None, None),
    ("alice", "2024-04-01 09:00", "email_open", "email", "k6", None, None, None),
    ("alice", "2024-04-03 09:00", "survey_response", "survey", None, None, 0.0, '{"survey": "nps"}'),
    ("bob", "2024-02-20 08:00", "email_sent", "email", "k2", None, None, None),
    ("bob", "2024-02-20 08:00", "email_bounce", "email", "k2", None, None, None),
    ("bob", "2024-03-19 10:00", "unsubscribe", "email", None, None, None, None),
    ("bob", "2024-03-23 10:00", "sms_sent", "sms", "s1", None, None, None),
    ("bob", "2023-12-27 10:00", "ticket_opened", "service", None, None, None, '{"ticket_id": "T1"}'),
    ("bob", "2024-01-01 10:00", "ticket_resolved", "service", None, None, None, '{"ticket_id": "T1"}'),
    ("bob", "2024-03-28 10:00", "ticket_opened", "service", None, None, None, '{"ticket_id": "T2"}'),
    ("dave", "2024-03-01 10:00", "session", "web", None, None, None, None),
    ("pat", "2024-03-29 10:00", "session", "web", None, None, None, None),
]


@pytest.fixture(scope="session")
def hand_events() -> pd.DataFrame:
    """The hand event fixture above, as a canonical event frame."""
    from features.events import to_canonical_events

    frame = pd.DataFrame(_EVENT_ROWS, columns=list(_EVENT_COLUMNS))
    return to_canonical_events(frame.assign(timestamp=pd.to_datetime(frame["timestamp"], format="ISO8601", utc=True)))
