"""Labels over (as_of, as_of + horizon] against the hand fixture (conftest.py), horizon 30 days:
the window is 2024-04-01 00:00 .. 2024-04-30 23:59:59 UTC."""

from __future__ import annotations

import pytest

from features.pipeline import LABEL_COLUMNS, build_labels


@pytest.fixture(scope="module")
def labels(hand_transactions, hand_cutoff):
    return build_labels(hand_transactions, hand_cutoff, 30).set_index("customer_id")


def test_labels_cover_exactly_the_feature_customers(labels, hand_features):
    assert list(labels.index) == list(hand_features.index)  # not dave, not erin
    assert list(labels.columns) == list(LABEL_COLUMNS)
    assert (labels.dtypes == "float64").all()


def test_a_returning_customer(labels):
    # A6 at 2024-04-01 00:00:00 (first instant of the window, day 1) and A7 on day 20.
    assert list(labels.loc["alice"]) == [0, 2, 70 + 40, 1, 1]


def test_a_silent_customer_is_churned_and_censored_at_the_horizon(labels):
    assert list(labels.loc["bob"]) == [1, 0, 0, 30, 0]


def test_a_return_alone_is_churn_but_counts_in_spend(labels):
    # C6 returns 10 on day 15; C7 at 2024-05-01 00:00:00 is just past the window.
    assert list(labels.loc["carol"]) == [1, 0, -10, 30, 0]


def test_a_longer_horizon_reaches_the_next_purchase(hand_transactions, hand_cutoff):
    labels = build_labels(hand_transactions, hand_cutoff, 31).set_index("customer_id")
    assert list(labels.loc["carol"]) == [0, 1, -10 + 25, 31, 1]


def test_horizon_must_be_a_positive_whole_number_of_days(hand_transactions, hand_cutoff):
    with pytest.raises(ValueError, match="horizon_days must be a whole number of days >= 1"):
        build_labels(hand_transactions, hand_cutoff, 0)
