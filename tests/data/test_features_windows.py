"""Trailing-window activity and the 90-day trend against the hand fixture (conftest.py).

A window of N days holds days d-(N-1) .. d-0, so a purchase at d-30 is outside the 30-day window.
"""

from __future__ import annotations


def test_window_orders_and_spend_of_alice(hand_features):
    alice = hand_features.loc["alice"]
    # 30d: A5 (d-6). 90d: A3 (d-50), return A4 (d-40), A5. 180d and 365d: everything.
    assert [alice[f"orders_{n}d"] for n in (30, 90, 180, 365)] == [1, 2, 4, 4]
    assert [alice[f"spend_{n}d"] for n in (30, 90, 180, 365)] == [50, 30 - 25 + 50, 215, 215]


def test_window_boundary_and_zero_order_of_carol(hand_features):
    carol = hand_features.loc["carol"]
    # 30d: only C5 (d-0); C4 at d-30 is just outside. The zero order C3 adds nothing.
    assert [carol[f"orders_{n}d"] for n in (30, 90, 180, 365)] == [1, 4, 4, 4]
    assert [carol[f"spend_{n}d"] for n in (30, 90, 180, 365)] == [15, 75, 75, 75]


def test_trend_compares_the_last_90_days_with_the_90_before(hand_features):
    f = hand_features
    # alice: last 90 days 2 orders / 55; days d-90..d-179 hold A1 (60) and A2 (100).
    assert (f.loc["alice", "orders_trend_90d"], f.loc["alice", "spend_trend_90d"]) == (0, 55 - 160)
    # bob: nothing recent, B1 (d-102) in the earlier window.
    assert (f.loc["bob", "orders_trend_90d"], f.loc["bob", "spend_trend_90d"]) == (-1, -500)
    assert (f.loc["carol", "orders_trend_90d"], f.loc["carol", "spend_trend_90d"]) == (4, 75)


def test_inactive_windows_are_zero_not_missing(hand_features):
    bob = hand_features.loc["bob"]
    assert [bob[f"orders_{n}d"] for n in (30, 90, 180, 365)] == [0, 0, 1, 1]
    assert [bob[f"spend_{n}d"] for n in (30, 90, 180, 365)] == [0, 0, 500, 500]
