"""Boosting from a baseline, contributions that add up, and plain-words reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.explain import describe
from training.models.gbm import GbmModel, inverse_link, offset_link


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 3000
    baseline = rng.gamma(2.0, 0.5, n)
    x = rng.normal(size=n)
    orders = rng.poisson(baseline * np.exp(0.4 * x))
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "x": x, "noise": rng.normal(size=n),
                         "bgnbd_expected_orders": baseline, "label_orders": orders})


def test_links_round_trip() -> None:
    p = np.array([0.1, 0.5, 0.9])
    assert inverse_link(offset_link(p, "binary"), "binary") == pytest.approx(p)
    assert inverse_link(offset_link(p, "poisson"), "poisson") == pytest.approx(p)


def test_untrained_offset_model_returns_the_baseline(frame: pd.DataFrame) -> None:
    model = GbmModel("poisson", params={"n_estimators": 1, "learning_rate": 1e-9},
                     offset_column="bgnbd_expected_orders").fit(frame, frame["label_orders"])
    assert model.predict(frame) == pytest.approx(frame["bgnbd_expected_orders"].to_numpy(), rel=1e-6)
    assert "label_orders" not in model.feature_names_ and "customer_id" not in model.feature_names_


def test_boosting_learns_the_correction_and_contributions_add_up(frame: pd.DataFrame) -> None:
    model = GbmModel("poisson", params={"n_estimators": 150, "min_child_samples": 50},
                     offset_column="bgnbd_expected_orders").fit(frame, frame["label_orders"])
    ratio = model.predict(frame) / frame["bgnbd_expected_orders"].to_numpy()
    assert np.corrcoef(np.log(ratio), frame["x"])[0, 1] > 0.75
    contributions = model.contributions(frame)
    assert contributions.sum(axis=1).to_numpy() == pytest.approx(model.raw_score(frame), abs=1e-6)
    assert model.importance().index[0] == "x"


def test_targets_must_suit_the_objective(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        GbmModel("tweedie").fit(frame, -np.ones(len(frame)))
    with pytest.raises(ValueError, match="objective"):
        GbmModel("gamma").fit(frame, frame["label_orders"])


def test_reasons_in_plain_words() -> None:
    row = pd.Series({"recency_days": 210.0, "overdue_ratio": 3.04, "orders_90d": 2.0,
                     "channel_share_app": 0.75, "nov_dec_order_share": 0.5, "odd_feature": 1.23456})
    assert describe("recency_days", row) == "no order for 210 days, 3.0x the usual gap between orders"
    assert describe("orders_90d", row) == "2 orders in the last 90 days"
    assert describe("channel_share_app", row) == "75% of orders through app"
    assert describe("nov_dec_order_share", row) == "50% of orders in November-December"
    assert describe("odd_feature", row) == "odd feature = 1.23"


def test_recent_change_reasons_say_when_a_feature_is_undefined() -> None:
    row = pd.Series({"order_value_ratio_90d": 0.42, "channel_90d_store": 1.0, "days_since_return": float("nan"),
                     "channel_shift_90d": float("nan"), "categories_180d_share": 1 / 3,
                     "channel_last_store": 1.0, "channel_last_web": 0.0})
    assert describe("order_value_ratio_90d", row) == "orders of the last 90 days worth 0.4x the usual order"
    assert describe("channel_90d_store", row) == "100% of the last 90 days' orders through store"
    assert describe("days_since_return", row) == "never returned anything"
    assert describe("channel_shift_90d", row) == "no purchase in the last 90 days"
    assert describe("categories_180d_share", row) == "33% of their categories bought in the last 180 days"
    assert describe("channel_last_store", row) == "last purchase through store"
    assert describe("channel_last_web", row) == "last purchase not through web"


def test_every_engagement_feature_has_plain_words() -> None:
    from features.pipeline.engagement import FEATURES
    from training.engagement_phrases import PHRASES

    assert set(FEATURES) <= set(PHRASES)
    missing = pd.Series(dict.fromkeys(FEATURES, np.nan))
    for feature in FEATURES:
        assert "_" not in describe(feature, missing), feature


def test_engagement_reasons_in_plain_words() -> None:
    row = pd.Series({"days_since_last_open": 60.0, "email_open_rate_last_5": 0.8, "email_sends_90d": 12.0,
                     "sessions_30d": 1.0, "sessions_trend_30d": -3.0, "carts_without_order_30d": 2.0,
                     "consent_email": 0.0, "consent_sms": np.nan, "email_bounced": 1.0, "last_nps": 4.0,
                     "nps_change": -3.0, "last_ticket_unresolved": 1.0, "days_since_last_session": 0.0,
                     "review_rating_mean": 3.25, "days_since_last_click": np.nan})
    assert describe("days_since_last_open", row) == "opened no email in 60 days; 80% of the latest emails (up to 5) opened"
    assert describe("email_sends_90d", row) == "12 emails received in the last 90 days"
    assert describe("sessions_30d", row) == "1 visit in the last 30 days"
    assert describe("sessions_trend_30d", row) == "3 fewer visits in the last 30 days than in the 30 before"
    assert describe("carts_without_order_30d", row) == "2 carts filled without an order in the last 30 days"
    assert describe("consent_email", row) == "unsubscribed from email"
    assert describe("consent_sms", row) == "no SMS contact on record"
    assert describe("email_bounced", row) == "the last email bounced"
    assert describe("last_nps", row) == "last NPS answer 4 of 10 (a detractor)"
    assert describe("nps_change", row) == "NPS down 3 points since the answer before"
    assert describe("last_ticket_unresolved", row) == "the last service ticket is still unresolved"
    assert describe("days_since_last_session", row) == "last visit today"
    assert describe("review_rating_mean", row) == "reviews rated 3.2 on average"
    assert describe("days_since_last_click", row) == "never clicked an email"
