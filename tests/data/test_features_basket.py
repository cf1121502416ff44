"""Basket size and variety against the hand fixture (conftest.py)."""

from __future__ import annotations

import math

import pytest


def test_lines_and_quantity_per_purchase_order(hand_features):
    alice = hand_features.loc["alice"]
    # A1 has 2 lines (qty 1 + 2), A2, A3 (qty 3) and A5 one each; the return A4 is no purchase.
    assert alice["lines_per_order_mean"] == pytest.approx(5 / 4)
    assert alice["quantity_per_order_mean"] == pytest.approx((3 + 1 + 3 + 1) / 4)


def test_quantity_mean_skips_orders_without_quantity(hand_features):
    carol = hand_features.loc["carol"]
    assert carol["lines_per_order_mean"] == 1
    assert carol["quantity_per_order_mean"] == pytest.approx((1 + 2 + 1) / 3)  # C4 has none


def test_distinct_products_and_categories_of_paid_lines(hand_features):
    f = hand_features
    assert (f.loc["alice", "distinct_products"], f.loc["alice", "distinct_categories"]) == (4, 3)
    assert (f.loc["bob", "distinct_products"], f.loc["bob", "distinct_categories"]) == (1, 1)
    # carol: p6/food; the free sample p8 (0.0) was not paid for, C4 has no product.
    assert (f.loc["carol", "distinct_products"], f.loc["carol", "distinct_categories"]) == (1, 1)


def test_sources_without_product_data_give_nan_not_zero(hand_transactions):
    from features.pipeline import build_features

    bare = hand_transactions.assign(product_id=None, category=None, quantity=None)
    features = build_features(bare, "2024-03-31").set_index("customer_id")
    for column in ("distinct_products", "distinct_categories", "quantity_per_order_mean"):
        assert all(math.isnan(value) for value in features[column])
