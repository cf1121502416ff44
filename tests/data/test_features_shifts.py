"""Recent-change features against the hand fixture (conftest.py) and a small narrowing fixture."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features.pipeline import build_features
from features.schema import to_canonical_frame


def test_recent_order_value_against_the_customers_mean(hand_features):
    f = hand_features
    # alice: purchases A1 60 (d-132), A2 100 (d-107), A3 30 (d-50), A5 50 (d-6); the window
    # (d-90, d-0] holds A3 and A5: mean 40 against a lifetime mean of 60.
    assert f.loc["alice", "order_value_ratio_90d"] == pytest.approx(40 / 60)
    # carol: every purchase (C1 30, C2 20, C4 10, C5 15) falls in the window.
    assert f.loc["carol", "order_value_ratio_90d"] == pytest.approx(1.0)
    # bob's one purchase is 102 days old: no purchase in the window, so undefined.
    assert math.isnan(f.loc["bob", "order_value_ratio_90d"])


def test_decayed_order_count_halves_every_90_days(hand_features):
    f = hand_features
    assert f.loc["alice", "orders_decayed_90d"] == pytest.approx(sum(2 ** (-age / 90) for age in (132, 107, 50, 6)))
    assert f.loc["bob", "orders_decayed_90d"] == pytest.approx(2 ** (-102 / 90))
    # carol: C1 and C2 (same day, two orders), C4, and C5 on the cutoff day counting 1.
    assert f.loc["carol", "orders_decayed_90d"] == pytest.approx(2 * 2 ** (-86 / 90) + 2 ** (-30 / 90) + 1)


def test_recent_returns_and_days_since_the_last_return(hand_features):
    f = hand_features
    assert (f.loc["alice", "returns_90d"], f.loc["alice", "days_since_return"]) == (1, 40)  # A4 at d-40
    assert f.loc["bob", "returns_90d"] == 0 and math.isnan(f.loc["bob", "days_since_return"])
    assert f.loc["carol", "returns_90d"] == 0 and math.isnan(f.loc["carol", "days_since_return"])


def test_last_purchase_day_value_against_the_mean_day(hand_features):
    f = hand_features
    assert f.loc["alice", "last_day_value_ratio"] == pytest.approx(50 / 60)
    assert f.loc["bob", "last_day_value_ratio"] == 1.0
    # carol's purchase days: d-86 (C1 + C2 = 50), d-30 (10), d-0 (15).
    assert f.loc["carol", "last_day_value_ratio"] == pytest.approx(15 / 25)


def test_recent_channel_shares_and_shift(hand_features):
    f = hand_features
    recent = ["channel_90d_app", "channel_90d_store", "channel_90d_web"]
    assert list(f.columns[-6:-3]) == recent
    # alice: lifetime web 3/4 and store 1/4 (A2); the window holds only web orders (A3, A5).
    assert list(f.loc["alice", recent]) == [0, 0, 1]
    assert f.loc["alice", "channel_shift_90d"] == pytest.approx((abs(1 - 3 / 4) + abs(0 - 1 / 4)) / 2)
    # carol: the same mix in the window as over her history (C4 has no channel).
    assert f.loc["carol", "channel_90d_app"] == pytest.approx(3 / 4)
    assert f.loc["carol", "channel_shift_90d"] == pytest.approx(0.0)
    assert f.loc["bob", recent].isna().all() and math.isnan(f.loc["bob", "channel_shift_90d"])


def test_channel_of_the_last_purchase_day(hand_features):
    f = hand_features
    last = ["channel_last_app", "channel_last_store", "channel_last_web"]
    assert list(f.columns[-3:]) == last
    assert list(f.loc["alice", last]) == [0, 0, 1]  # A5 by web
    assert list(f.loc["bob", last]) == [0, 1, 0]
    assert list(f.loc["carol", last]) == [1, 0, 0]  # C5 on the cutoff day, by app


def test_a_last_day_with_orders_in_two_channels_marks_both():
    lines = pd.DataFrame(
        [("P1", "pia", "2024-01-10 10:00", 20.0, "web"), ("P2", "pia", "2024-03-30 09:00", 15.0, "store"),
         ("P3", "pia", "2024-03-30 18:00", 25.0, "app"), ("P4", "pia", "2024-03-30 19:00", 5.0, None),
         ("P5", "pia", "2024-03-31 10:00", -8.0, "web")],
        columns=["order_id", "customer_id", "timestamp", "amount", "channel"],
    )
    lines = to_canonical_frame(lines.assign(timestamp=pd.to_datetime(lines["timestamp"], utc=True)))
    pia = build_features(lines, "2024-03-31").set_index("customer_id").loc["pia"]
    # the last purchase day has orders by store, by app and without a channel; the web return
    # on the cutoff day is no purchase.
    assert (pia["channel_last_app"], pia["channel_last_store"], pia["channel_last_web"]) == (1, 1, 0)
    assert pia["last_day_value_ratio"] == pytest.approx(45 / ((20 + 45) / 2))


def test_categories_of_the_last_180_days(hand_features):
    f = hand_features
    # every paid line of alice (books, music, games), bob (gifts) and carol (food) is in the window.
    assert list(f["distinct_categories_180d"]) == [3, 1, 1]
    assert list(f["categories_180d_share"]) == [1, 1, 1]


def _narrowing_lines() -> pd.DataFrame:
    rows = [
        ("N1", "nina", "2023-06-01 10:00", 40.0, "books", "web"),
        ("N1", "nina", "2023-06-01 10:00", 30.0, "music", "web"),
        ("N2", "nina", "2023-09-01 10:00", 20.0, "games", "web"),
        ("N3", "nina", "2024-03-01 10:00", 10.0, "books", "store"),
        ("N4", "nina", "2024-03-20 10:00", -5.0, "music", "store"),
        ("O1", "omar", "2023-05-01 10:00", 25.0, "books", "app"),
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "timestamp", "amount", "category", "channel"])
    return to_canonical_frame(frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True)))


def test_a_customer_narrowing_to_one_category_and_moving_to_the_store():
    f = build_features(_narrowing_lines(), "2024-03-31").set_index("customer_id")
    nina = f.loc["nina"]
    # The 180-day window starts 2023-10-04: only N3 (books) is paid inside it; the return N4
    # is not a paid line. Over her history she bought books, music and games.
    assert (nina["distinct_categories_180d"], nina["categories_180d_share"]) == (1, pytest.approx(1 / 3))
    assert nina["channel_90d_store"] == 1 and nina["channel_shift_90d"] == pytest.approx(2 / 3)
    assert nina["order_value_ratio_90d"] == pytest.approx(10 / ((70 + 20 + 10) / 3))
    assert (nina["returns_90d"], nina["days_since_return"]) == (1, 11)
    # omar bought nothing in the window: zero categories there, not unknown.
    assert (f.loc["omar", "distinct_categories_180d"], f.loc["omar", "categories_180d_share"]) == (0, 0)


def test_sources_without_categories_or_channels_give_nan(hand_transactions):
    bare = hand_transactions.assign(category=None, channel=None)
    f = build_features(bare, "2024-03-31").set_index("customer_id")
    assert not [c for c in f.columns if c.startswith(("channel_share_", "channel_90d_", "channel_last_"))]
    for column in ("distinct_categories_180d", "categories_180d_share", "channel_shift_90d"):
        assert f[column].isna().all(), column
    assert f.loc["alice", "order_value_ratio_90d"] == pytest.approx(40 / 60)
