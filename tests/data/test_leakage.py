"""Point-in-time correctness: whatever happens after the cutoff changes no feature value.

Hypothesis draws transaction histories and arbitrary later activity (new customers, new
channels, returns, lines added to orders that began before the cutoff, rows at the first
instant after the cutoff); the features of history + later rows must equal those of history
alone. Training frames are checked the same way against rows after their final cutoff.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.engine import connect
from features.pipeline import build_features, build_labels, build_training_frame
from features.schema import to_canonical_frame

AS_OF = dt.date(2024, 6, 30)
CUTOFF_END = pd.Timestamp("2024-07-01", tz="UTC")  # first instant after the cutoff day
MICROSECOND = pd.Timedelta(microseconds=1)

_customers = st.sampled_from(["c1", "c2", "c3", "c4"])
_orders = st.sampled_from([f"o{i}" for i in range(8)])
_amounts = st.one_of(
    st.sampled_from([0.0, -15.0, 9.99]),
    st.floats(min_value=-200, max_value=500, allow_nan=False).map(lambda x: round(x, 2)),
)
_channels = st.sampled_from([None, "web", "store", "app", "kiosk"])
_products = st.sampled_from([None, "p1", "p2", "p3"])


def _lines(offsets: st.SearchStrategy[pd.Timedelta]) -> st.SearchStrategy[list[dict]]:
    line = st.fixed_dictionaries(
        {
            "customer_id": _customers,
            "order_id": _orders,
            "timestamp": offsets.map(lambda offset: CUTOFF_END + offset),
            "amount": _amounts,
            "quantity": st.sampled_from([None, 1.0, 2.0, -1.0]),
            "product_id": _products,
            "category": _products.map(lambda p: None if p is None else f"cat-{p}"),
            "channel": _channels,
        }
    )
    return st.lists(line, min_size=0, max_size=25)


_before = st.one_of(
    st.integers(min_value=1, max_value=500 * 86_400).map(lambda s: -pd.Timedelta(seconds=s)),
    st.just(-MICROSECOND),
)
_after = st.one_of(
    st.integers(min_value=0, max_value=400 * 86_400).map(lambda s: pd.Timedelta(seconds=s)),
    st.just(pd.Timedelta(0)),
)


def _frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["customer_id", "order_id", "timestamp", "amount", "quantity", "product_id", "category", "channel"]
    frame = pd.DataFrame(rows, columns=columns)
    return to_canonical_frame(frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True)))


@pytest.fixture(scope="module")
def backend():
    return connect("duckdb")


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=_lines(_before), later=_lines(_after))
def test_rows_after_the_cutoff_change_no_feature(backend, history, later):
    past = _frame(history)
    expected = build_features(past, AS_OF, backend=backend)
    with_later = build_features(pd.concat([past, _frame(later)]), AS_OF, backend=backend)
    pd.testing.assert_frame_equal(with_later, expected)


def test_random_rows_after_the_cutoff_change_no_feature_of_the_hand_fixture(
    hand_transactions, hand_features, hand_cutoff
):
    # Rows from 2024-04-01 00:00 on: new customers, a "kiosk" channel, lines added to A1 and C5.
    rng = np.random.default_rng(3)
    for _ in range(3):
        later = _random_rows(rng, start=pd.Timestamp("2024-04-01", tz="UTC"), n=40)
        features = build_features(pd.concat([hand_transactions, later]), hand_cutoff)
        pd.testing.assert_frame_equal(features.set_index("customer_id"), hand_features)


def test_rows_after_the_final_cutoff_change_no_training_example(hand_transactions):
    final = dt.date(2024, 4, 30)
    # The hand fixture ends with C7 on 2024-05-01 00:00, the first instant after `final`.
    kept = hand_transactions[hand_transactions["timestamp"] < pd.Timestamp("2024-05-01", tz="UTC")]
    expected = build_training_frame(kept, final, 30, n_cutoffs=2)
    rng = np.random.default_rng(7)
    for _ in range(2):
        later = _random_rows(rng, start=pd.Timestamp("2024-05-01", tz="UTC"), n=40)
        observed = build_training_frame(pd.concat([hand_transactions, later]), final, 30, n_cutoffs=2)
        pd.testing.assert_frame_equal(observed, expected)


def test_labels_ignore_rows_past_the_horizon(hand_transactions, hand_cutoff):
    expected = build_labels(hand_transactions, hand_cutoff, 30)
    rng = np.random.default_rng(11)
    later = _random_rows(rng, start=pd.Timestamp("2024-05-01", tz="UTC"), n=40)  # horizon ends 04-30
    pd.testing.assert_frame_equal(build_labels(pd.concat([hand_transactions, later]), hand_cutoff, 30), expected)


def _random_rows(rng: np.random.Generator, *, start: pd.Timestamp, n: int) -> pd.DataFrame:
    """n lines at or after `start` for existing and new customers, orders and channels."""
    seconds = rng.integers(0, 200 * 86_400, size=n)
    return _frame(
        [
            {
                "customer_id": rng.choice(["alice", "bob", "carol", "dave", "zoe"]),
                "order_id": rng.choice(["A1", "C5", "Z1", "Z2"]),
                "timestamp": start + pd.Timedelta(seconds=int(s)),
                "amount": float(rng.choice([-30.0, 0.0, 12.5, 80.0])),
                "quantity": 1.0,
                "product_id": "p1",
                "category": "books",
                "channel": rng.choice(["web", "kiosk"]),
            }
            for s in seconds
        ]
    )


def _random_events(rng: np.random.Generator, *, start: pd.Timestamp, n: int) -> pd.DataFrame:
    """n events of every type at or after `start` (the first instant included) for existing and new
    customers: sessions, sends and opens of old campaigns, unsubscribes, tickets, surveys, reviews."""
    from features.events import EVENT_TYPES, to_canonical_events

    kinds = rng.choice(list(EVENT_TYPES), size=n)
    seconds = np.concatenate([[0], rng.integers(0, 200 * 86_400, size=n - 1)])
    return to_canonical_events(pd.DataFrame({
        "customer_id": rng.choice(["alice", "bob", "carol", "dave", "zoe"], size=n),
        "timestamp": start + pd.to_timedelta(seconds, unit="s"),
        "event_type": kinds,
        "channel": rng.choice(["web", "email", "sms", "push"], size=n),
        "campaign_id": rng.choice(["k1", "k3", "k5", "k6"], size=n),
        "value": np.where(kinds == "review", 1.0, np.where(kinds == "survey_response", 0.0, np.nan)),
        "properties": np.where(rng.random(n) < 0.5, '{"survey": "csat"}', None),
    }))


def test_events_after_the_cutoff_change_no_feature(hand_transactions, hand_events, hand_cutoff):
    cutoff_end = pd.Timestamp("2024-04-01", tz="UTC")
    past = hand_events[hand_events["timestamp"] < cutoff_end]
    expected = build_features(hand_transactions, hand_cutoff, events=past)
    assert len(past) < len(hand_events)  # the fixture itself has events after the cutoff
    rng = np.random.default_rng(5)
    for _ in range(3):
        later = pd.concat([hand_events, _random_events(rng, start=cutoff_end, n=60)], ignore_index=True)
        pd.testing.assert_frame_equal(build_features(hand_transactions, hand_cutoff, events=later), expected)


def test_events_after_the_final_cutoff_change_no_training_example(hand_transactions, hand_events):
    final = dt.date(2024, 4, 30)
    end = pd.Timestamp("2024-05-01", tz="UTC")
    kept = hand_transactions[hand_transactions["timestamp"] < end]
    expected = build_training_frame(kept, final, 30, n_cutoffs=2, events=hand_events)
    later = pd.concat([hand_events, _random_events(np.random.default_rng(9), start=end, n=60)], ignore_index=True)
    observed = build_training_frame(hand_transactions, final, 30, n_cutoffs=2, events=later)
    pd.testing.assert_frame_equal(observed, expected)
    first_block = observed[observed["as_of"] == observed["as_of"].min()].set_index("customer_id")
    assert first_block.loc["alice", "has_web_events"] == 1.0  # each block sees its own events
