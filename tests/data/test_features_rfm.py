"""Recency, tenure, frequency, monetary value and returns against the hand fixture (conftest.py)."""

from __future__ import annotations

import pytest


def test_customers_are_those_with_a_purchase_on_or_before_the_cutoff(hand_features):
    # dave only returned goods, erin's first purchase is after the cutoff.
    assert list(hand_features.index) == ["alice", "bob", "carol"]


def test_recency_and_tenure_count_whole_days_to_the_cutoff_day(hand_features):
    f = hand_features
    assert (f.loc["alice", "recency_days"], f.loc["alice", "tenure_days"]) == (6, 132)  # A5, A1
    assert (f.loc["bob", "recency_days"], f.loc["bob", "tenure_days"]) == (102, 102)  # single B1
    # C5 at 23:59:59 on the cutoff day counts, as day 0.
    assert (f.loc["carol", "recency_days"], f.loc["carol", "tenure_days"]) == (0, 86)


def test_frequency_counts_purchase_orders_not_returns_or_zero_orders(hand_features):
    f = hand_features
    assert f.loc["alice", "orders"] == 4  # A1 A2 A3 A5; A4 is a return
    assert f.loc["carol", "orders"] == 4  # C1 and C2 on one day count twice; C3 (0.0) not at all
    assert f.loc["bob", "orders"] == 1
    assert list(f["repeat_orders"]) == [3, 0, 3]


def test_monetary_is_net_of_returns(hand_features):
    f = hand_features
    assert f.loc["alice", "spend_total"] == 60 + 100 + 30 - 25 + 50
    assert f.loc["alice", "order_value_mean"] == pytest.approx(215 / 4)
    assert f.loc["alice", "order_value_max"] == 100  # A2
    assert f.loc["carol", "spend_total"] == 30 + 20 + 0 + 10 + 15
    assert f.loc["carol", "order_value_mean"] == pytest.approx(75 / 4)
    assert f.loc["carol", "order_value_max"] == 30
    assert (f.loc["bob", "spend_total"], f.loc["bob", "order_value_mean"]) == (500, 500)


def test_return_rate_is_returned_over_purchased_value(hand_features):
    f = hand_features
    assert f.loc["alice", "returns"] == 1
    assert f.loc["alice", "return_rate"] == pytest.approx(25 / (60 + 100 + 30 + 50))
    assert (f.loc["bob", "returns"], f.loc["bob", "return_rate"]) == (0, 0)
    assert (f.loc["carol", "returns"], f.loc["carol", "return_rate"]) == (0, 0)
