"""Engagement features against values computed by hand from the event fixture (tests/data/conftest.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features.pipeline import ENGAGEMENT_COLUMNS, FEATURE_COLUMNS, build_features

NAN = math.nan
EXPECTED = {
    "alice": {
        "has_web_events": 1, "has_email_events": 1, "has_service_events": 0, "has_feedback_events": 1,
        "days_since_last_session": 0, "sessions_7d": 2, "sessions_30d": 4, "sessions_90d": 5,
        "sessions_trend_30d": 3,  # 4 in (d-30, d-0] minus 1 (d-45) in (d-60, d-30]
        "product_views_7d": 1, "product_views_30d": 1, "product_views_90d": 3,
        "product_views_trend_30d": 0,  # d-1 minus d-31
        "carts_without_order_30d": 1,  # d-2 only: d-10 and d-6 are not after the purchase day d-6
        "days_since_last_open": 5,  # the open of k5 on d-5 (it does not pair with the later send)
        "days_since_last_click": 20,
        "email_sends_90d": 6,
        "email_open_rate_last_5": 0.4,  # k6 k5 k4 k3 k2: k4 opened, k3 clicked
        "email_click_rate_last_5": 0.2,
        "email_bounced": 0, "days_since_unsubscribe": NAN,
        "consent_email": 1, "consent_sms": NAN, "consent_push": NAN,
        "tickets_90d": NAN, "last_ticket_unresolved": NAN,
        "last_nps": 6, "nps_change": -3, "last_csat": 4, "csat_change": NAN,
        "reviews": 2, "review_rating_mean": 3.5,
    },
    "bob": {
        "has_web_events": 0, "has_email_events": 1, "has_service_events": 1, "has_feedback_events": 0,
        "days_since_last_session": NAN, "sessions_7d": NAN, "sessions_30d": NAN, "sessions_90d": NAN,
        "sessions_trend_30d": NAN, "product_views_7d": NAN, "product_views_30d": NAN,
        "product_views_90d": NAN, "product_views_trend_30d": NAN, "carts_without_order_30d": NAN,
        "days_since_last_open": NAN, "days_since_last_click": NAN, "email_sends_90d": 1,
        "email_open_rate_last_5": 0.0, "email_click_rate_last_5": 0.0,
        "email_bounced": 1,  # the bounce at the send's instant
        "days_since_unsubscribe": 12, "consent_email": 0, "consent_sms": 1, "consent_push": NAN,
        "tickets_90d": 1,  # d-3; the ticket of d-95 is outside the window
        "last_ticket_unresolved": 1,
        "last_nps": NAN, "nps_change": NAN, "last_csat": NAN, "csat_change": NAN,
        "reviews": NAN, "review_rating_mean": NAN,
    },
}
NO_EVENTS = {name: (0.0 if name.startswith("has_") else NAN) for name in ENGAGEMENT_COLUMNS}


@pytest.fixture(scope="module")
def engaged(hand_transactions, hand_events, hand_cutoff) -> pd.DataFrame:
    return build_features(hand_transactions, hand_cutoff, events=hand_events).set_index("customer_id")


@pytest.mark.parametrize("customer", ["alice", "bob"])
def test_engagement_features_match_hand_computed_values(engaged, customer):
    expected = pd.Series(EXPECTED[customer], dtype="float64")
    assert set(expected.index) == set(ENGAGEMENT_COLUMNS)
    observed = engaged.loc[customer, list(expected.index)].astype("float64")
    pd.testing.assert_series_equal(observed, expected, check_names=False)


def test_a_customer_without_events_gets_indicators_zero_and_no_made_up_zeros(engaged):
    pd.testing.assert_series_equal(engaged.loc["carol", list(ENGAGEMENT_COLUMNS)].astype("float64"),
                                   pd.Series(NO_EVENTS, dtype="float64"), check_names=False)


def test_events_add_columns_and_change_no_purchase_feature(engaged, hand_features):
    assert list(engaged.index) == ["alice", "bob", "carol"]  # dave (returns only) and pat (prospect) have no row
    assert list(engaged.columns) == [*hand_features.columns, *ENGAGEMENT_COLUMNS]
    pd.testing.assert_frame_equal(engaged[list(hand_features.columns)], hand_features)
    assert all(engaged[c].dtype == "float64" for c in ENGAGEMENT_COLUMNS)


def test_a_base_without_events_has_exactly_the_columns_it_had(hand_features):
    assert not set(ENGAGEMENT_COLUMNS) & set(hand_features.columns)
    assert list(hand_features.columns)[: len(FEATURE_COLUMNS)] == list(FEATURE_COLUMNS)


def test_event_directories_of_several_sources_are_read_as_one(tmp_path, hand_transactions, hand_events,
                                                              hand_cutoff, engaged):
    from features.events.schema import EVENTS_FILE, events_to_arrow
    import pyarrow.parquet as pq

    email = hand_events["channel"].eq("email").to_numpy()
    for name, part in (("email", hand_events[email]), ("web", hand_events[~email])):
        (tmp_path / name).mkdir()
        pq.write_table(events_to_arrow(part), tmp_path / name / EVENTS_FILE)
    from_files = build_features(hand_transactions, hand_cutoff, events=[tmp_path / "email", tmp_path / "web"])
    pd.testing.assert_frame_equal(from_files.set_index("customer_id"), engaged)
