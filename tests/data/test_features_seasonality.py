"""Seasonality against the hand fixture (conftest.py): bob is the festive one-off buyer."""

from __future__ import annotations

import pytest


def test_nov_dec_shares(hand_features):
    f = hand_features
    # alice: A1 (Nov, 60) and A2 (Dec, 100) of 4 purchases worth 240.
    assert f.loc["alice", "nov_dec_order_share"] == pytest.approx(2 / 4)
    assert f.loc["alice", "nov_dec_spend_share"] == pytest.approx(160 / 240)
    assert (f.loc["bob", "nov_dec_order_share"], f.loc["bob", "nov_dec_spend_share"]) == (1, 1)
    assert (f.loc["carol", "nov_dec_order_share"], f.loc["carol", "nov_dec_spend_share"]) == (0, 0)


def test_active_months_count_year_months_with_a_purchase(hand_features):
    f = hand_features
    assert f.loc["alice", "active_months"] == 4  # 2023-11, 2023-12, 2024-02, 2024-03
    assert f.loc["bob", "active_months"] == 1
    assert f.loc["carol", "active_months"] == 2  # 2024-01 (C1, C2), 2024-03 (C4, C5)


def test_month_concentration_is_the_herfindahl_index_over_months_of_the_year(hand_features):
    f = hand_features
    assert f.loc["alice", "month_concentration"] == pytest.approx(4 * (1 / 4) ** 2)
    assert f.loc["bob", "month_concentration"] == 1
    assert f.loc["carol", "month_concentration"] == pytest.approx(2 * (2 / 4) ** 2)
