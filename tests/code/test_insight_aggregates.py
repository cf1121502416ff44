"""The insight report's numbers on a ten-customer base, computed by hand, and its plain words."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from serving.insight import aggregates
from serving.insight.words import count, money, percent, plain, rule_in_words

AS_OF = dt.date(2023, 12, 31)


@pytest.fixture()
def base() -> pd.DataFrame:
    ids = [f"c{i}" for i in range(10)]
    after = [3, 7, 8, 30, None, 14, 21, 22, 28, 29]
    return pd.DataFrame({
        "customer_id": ids,
        "status": ["scored"] * 10,
        "segment_name": ["a"] * 5 + ["b"] * 5,
        "predicted_clv": [100.0, 50, 30, 20, 0, 0, 10, 5, 40, 45],
        "churn_probability": [0.8, 0.1, 0.5, 0.9, 0.95, 0.2, 0.75, 0.3, 0.65, 0.05],
        "spend_365d": [200.0, 100, 50, 0, 10, 0, 30, 20, 80, 60],
        "orders": [5.0, 1, 3, 2, 1, 1, 4, 1, 2, 6],
        "orders_365d": [2.0, 1, 1, 0, 1, 0, 1, 1, 1, 2],
        "expected_orders": [1.0] * 10,
        "nov_dec_order_share": [0.7, 0.6, 0.1, 0, 0, 0, 0, 0, 0, 0],
        "expected_next_purchase_date": [None if d is None else AS_OF + dt.timedelta(days=d) for d in after],
        "as_of": [AS_OF] * 10,
    })


def test_glance_by_hand(base: pd.DataFrame) -> None:
    g = aggregates.glance(base)
    assert (g["customers"], g["active_customers"], g["revenue_12m"]) == (10, 8, 550.0)
    assert g["repeat_customers"] == 6 and g["repeat_rate"] == pytest.approx(0.6)
    assert g["as_of"] == "2023-12-31"


def test_concentration_tiers_and_at_risk(base: pd.DataFrame) -> None:
    ranked = aggregates.value_ranks(base)
    assert ranked["customer_id"].tolist() == ["c0", "c1", "c9", "c8", "c2", "c3", "c6", "c7", "c4", "c5"]
    value = aggregates.concentration(ranked)
    shares = {t["share_of_customers"]: (t["customers"], t["share_of_value"]) for t in value["top"]}
    assert shares[0.01] == (1, pytest.approx(1 / 3)) and shares[0.05] == (1, pytest.approx(1 / 3))
    assert shares[0.10] == (1, pytest.approx(1 / 3)) and shares[0.20] == (2, pytest.approx(0.5))
    assert value["curve"]["value"][0] == 0 and value["curve"]["value"][-1] == pytest.approx(1.0)
    assert [t["customers"] for t in value["tiers"]] == [1, 0, 1, 3, 5]
    assert value["at_risk"]["customers"] == 1 and value["at_risk"]["predicted_value"] == 100.0
    assert value["at_risk"]["listed"][0]["customer_id"] == "c0"


def test_risk_value_matrix_cells(base: pd.DataFrame) -> None:
    cells = aggregates.risk_value_matrix(aggregates.value_ranks(base))["cells"]
    expected = {"high|top10": (1, 160.0), "low|next20": (2, 13.0), "medium|middle40": (2, 77.0),
                "high|middle40": (2, 22.5), "medium|bottom30": (1, 6.0), "high|bottom30": (1, 9.5),
                "low|bottom30": (1, 0.0)}
    for key, cell in cells.items():
        customers, stake = expected.get(key, (0, 0.0))
        assert (cell["customers"], cell["at_stake"]) == (customers, pytest.approx(stake)), key
    assert sum(c["customers"] for c in cells.values()) == 10


def test_segment_cards_and_moves(base: pd.DataFrame) -> None:
    previous = pd.DataFrame({"customer_id": ["c0", "c1", "c5"], "segment_name": ["b", "a", "b"]})
    cards = {c["name"]: c for c in aggregates.segments(base, previous)}
    assert cards["a"]["customers"] == 5 and cards["a"]["revenue_share"] == pytest.approx(360 / 550)
    assert cards["b"]["revenue_share"] == pytest.approx(190 / 550)
    assert cards["a"]["moves"] == {"stayed": 1, "came_in": 1, "new": 3, "left": 0}
    assert cards["b"]["moves"] == {"stayed": 1, "came_in": 0, "new": 4, "left": 1}
    assert sum(cards["a"]["churn_histogram"]) == 5 and sum(cards["b"]["value_histogram"]) == 5


def test_weeks_and_festive(base: pd.DataFrame) -> None:
    t = aggregates.timing(base, horizon_days=28)
    assert t["next_order_per_week"] == [2, 2, 1, 2]
    assert (t["next_order_later"], t["next_order_none"]) == (2, 1)
    flagged = base.assign(next_purchase_after_horizon=[False] * 4 + [True] + [False] * 5)
    later = aggregates.timing(flagged, horizon_days=28)
    assert (later["next_order_later"], later["next_order_none"]) == (3, 0)
    assert t["expected_orders_per_week"] == pytest.approx(10 / 4)
    festive = t["festive"]
    assert (festive["customers"], festive["in_season"], festive["due"]) == (2, True, 1)


def test_engagement_summarises_customers_with_events_only(base: pd.DataFrame) -> None:
    assert aggregates.engagement(base) == []
    web = base.assign(has_web_events=[1.0] * 4 + [0.0] * 6, sessions_30d=[2.0, 0, 0, 1] + [None] * 6,
                      days_since_last_session=[3.0, 40, 10, 7] + [None] * 6)
    (family,) = aggregates.engagement(web)
    assert (family["family"], family["customers"], family["share_of_base"]) == ("web", 4, 0.4)
    facts = {f["feature"]: f["value"] for f in family["facts"]}
    assert facts == {"sessions_30d": 0.5, "days_since_last_session": 8.5}


def test_plain_words() -> None:
    assert rule_in_words("churn_probability >= 0.7 AND past_value_percentile >= 0.7") == \
        "chance of leaving ≥ 0.7 and past-value rank ≥ 0.7"
    assert plain("average customers (higher return_rate)") == "average customers (higher share of value returned)"
    assert (count(23570), money(-56.4), money(1234.5, "€", 2), percent(0.1234)) == \
        ("23,570", "−$56", "€1,234.50", "12.3 %")
