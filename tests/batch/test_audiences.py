"""Audience rules: evaluation, priority, counts, outputs and clear errors for bad rule files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from serving.audiences import assign, customer_table, load_rules, write_audiences
from serving.cli import app


@pytest.fixture()
def table() -> pd.DataFrame:
    scores = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "segment_name": ["x"] * 5,
        "churn_probability": [0.1, 0.95, 0.8, 0.2, 0.95],
        "predicted_clv": [500.0, 1.0, 20.0, 30.0, 0.0],
        "p_purchase_90d": [0.9, 0.05, 0.2, 0.6, 0.01],
        "as_of": ["2023-10-31"] * 5,
    })
    features = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "orders": [12.0, 1.0, 6.0, 1.0, 2.0],
        "tenure_days": [700.0, 400.0, 500.0, 10.0, 300.0],
        "recency_days": [5.0, 390.0, 200.0, 10.0, 250.0],
        "returns": [0.0, 0.0, 1.0, 0.0, 0.0],
        "spend_total": [5000.0, 20.0, 900.0, 40.0, 10.0],
        "spend_90d": [600.0, 0.0, 0.0, 40.0, 0.0],
        "spend_trend_90d": [0.0, 0.0, -300.0, 40.0, 0.0],
        "nov_dec_order_share": [0.1, 1.0, 0.0, 0.0, 0.5],
    }).set_index("customer_id")
    return customer_table(scores, features)


def test_derived_columns_by_hand(table: pd.DataFrame) -> None:
    assert table["clv_percentile"].tolist() == [1.0, 0.4, 0.6, 0.8, 0.2]
    assert table["past_value_percentile"].tolist() == [1.0, 0.4, 0.8, 0.6, 0.2]
    assert table["spend_prev_90d"].tolist() == [600.0, 0.0, 300.0, 0.0, 0.0]
    assert (table["as_of_month"] == 10).all()


def test_packaged_playbook_assigns_by_priority(table: pd.DataFrame) -> None:
    result = assign(table, load_rules())
    placed = dict(zip(result.assignments["customer_id"], result.assignments["audience"], strict=True))
    # a: top CLV. c: churn 0.8 and past value 0.8 -> win-back, though its spend also halved.
    # d: 10 days old, one order -> welcome before second purchase. b: one order long ago, 95%
    # churn, all orders in Nov-Dec, scored in October -> festive reminder. e: 95% churn, low CLV.
    assert placed == {"a": "vip_care", "c": "win_back", "d": "welcome", "b": "festive_reminder",
                      "e": "do_not_disturb"}
    also = dict(zip(result.assignments["customer_id"], result.assignments["also_eligible_for"], strict=True))
    assert also == {"a": "", "b": "", "c": "satisfaction_check", "d": "second_purchase", "e": ""}
    counts = result.counts.set_index("audience")
    assert counts.loc["second_purchase", "customers"] == 0 and counts.loc["second_purchase", "eligible"] == 1
    assert counts["customers"].sum() == len(result.assignments) == 5


def test_outputs_one_list_per_audience_and_a_summary(table: pd.DataFrame, tmp_path: Path) -> None:
    result = assign(table, load_rules())
    write_audiences(result, table, tmp_path / "aud")
    summary = json.loads((tmp_path / "aud" / "summary.json").read_text())
    assert summary["customers_in_an_audience"] == 5
    assert {a["audience"] for a in summary["audiences"]} == {p.stem for p in (tmp_path / "aud").glob("*.csv")}
    vip = pd.read_csv(tmp_path / "aud" / "vip_care.csv")
    assert vip["customer_id"].tolist() == ["a"] and vip["predicted_clv"].tolist() == [500.0]


def test_custom_rules_file_and_errors(table: pd.DataFrame, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[audience]]\nname = "big"\ndescription = "d"\nwhen = "predicted_clv > 25"\n')
    result = assign(table, load_rules(rules))
    assert sorted(result.assignments["customer_id"]) == ["a", "d"]

    rules.write_text('[[audience]]\nname = "bad"\ndescription = "d"\nwhen = "no_such_column > 1"\n')
    with pytest.raises(ValueError, match="audience 'bad': its condition cannot be evaluated"):
        assign(table, load_rules(rules))
    rules.write_text('[[audience]]\nname = "Bad Name"\ndescription = "d"\nwhen = "true"\n')
    with pytest.raises(ValueError, match=r"rules.toml: audience.0.name"):
        load_rules(rules)
    rules.write_text('[[audience]]\nname = "x"\ndescription = "d"\nwhen = "true; DROP TABLE customers"\n')
    with pytest.raises(ValueError, match="one SQL condition"):
        load_rules(rules)
    with pytest.raises(ValueError, match="cannot read the audience rules"):
        load_rules(tmp_path / "missing.toml")


def test_scores_without_the_score_columns_are_refused_by_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    with pytest.raises(ValueError, match="lacks the score column.s. predicted_clv"):
        customer_table(pd.DataFrame({"customer_id": ["a"], "segment_name": ["x"], "churn_probability": [0.1],
                                     "p_purchase_90d": [0.2], "as_of": ["2023-10-31"]}), None)
    scores = tmp_path / "scores.csv"
    scores.write_text("customer_id,churn\na,0.5\n")
    result = CliRunner().invoke(app, ["audiences", "--scores", str(scores), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "scores.csv: lacks the score column(s) segment_name, churn_probability" in result.output
    assert not (tmp_path / "out").exists()


def test_consent_and_the_engagement_rules_of_the_playbook() -> None:
    ids = ["vip", "gone", "bounced", "detractor", "ticket", "tired", "lapsed_reader", "browser", "quiet"]
    n = len(ids)
    scores = pd.DataFrame({
        "customer_id": ids, "segment_name": ["x"] * n,
        "churn_probability": [0.1, 0.8, 0.8, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
        "predicted_clv": [900.0, 50, 50, 40, 40, 40, 40, 40, 40],
        "p_purchase_90d": [0.9] + [0.3] * (n - 1), "as_of": ["2024-03-31"] * n,
    })
    nan = float("nan")
    features = pd.DataFrame({
        "customer_id": ids,
        "orders": [20.0, 9, 9, 2, 2, 2, 2, 2, 2], "tenure_days": [900.0] * n,
        "recency_days": [3.0, 200, 200, 40, 40, 40, 40, 45, 40], "returns": [0.0] * n,
        "spend_total": [9000.0, 3000, 2800, 50, 60, 70, 80, 90, 100],
        "spend_90d": [100.0] + [0.0] * (n - 1), "spend_trend_90d": [0.0] * n, "nov_dec_order_share": [0.0] * n,
        "consent_email": [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, nan],
        "email_bounced": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, nan],
        "last_nps": [9.0, nan, nan, 4.0, nan, nan, nan, nan, nan],
        "last_ticket_unresolved": [nan, nan, nan, nan, 1.0, nan, nan, nan, nan],
        "email_sends_90d": [5.0, 12, 12, 5, 5, 13, 6, 5, nan],
        "email_open_rate_last_5": [0.6, 0.0, 0.0, 0.2, 0.2, 0.0, 0.0, 0.4, nan],
        "days_since_last_open": [2.0, 300, 300, 10, 10, 120, 75, 5, nan],
        "carts_without_order_30d": [0.0, 0, 0, 0, 0, 0, 0, 2, nan],
        "product_views_30d": [1.0, 0, 0, 0, 0, 0, 0, 4, nan],
    }).set_index("customer_id")
    result = assign(customer_table(scores, features), load_rules())
    placed = dict(zip(result.assignments["customer_id"], result.assignments["audience"], strict=True))
    # gone and bounced: fatigued, but rest_from_email is channel "none" -> they rest rather than
    # being mailed a win-back; tired: same rule; quiet has no events, so no engagement rule applies.
    assert placed == {"vip": "vip_care", "gone": "rest_from_email", "bounced": "rest_from_email",
                      "detractor": "satisfaction_follow_up", "ticket": "satisfaction_follow_up",
                      "tired": "rest_from_email", "lapsed_reader": "re_engagement", "browser": "browse_abandonment"}
    counts = result.counts.set_index("audience")
    assert counts.loc["win_back", "without_consent"] == 2 and counts.loc["win_back", "eligible"] == 0
    assert counts.loc["win_back", "channel"] == "email" and counts.loc["rest_from_email", "channel"] == "none"
    email_lists = counts.index[counts["channel"] == "email"]
    members = result.assignments[result.assignments["audience"].isin(email_lists)]["customer_id"]
    assert not set(members) & {"gone", "bounced"}
    also = dict(zip(result.assignments["customer_id"], result.assignments["also_eligible_for"], strict=True))
    assert "win_back" not in also["gone"] and "win_back" not in also["bounced"]


def test_an_unsubscribed_customer_is_in_no_email_audience_even_with_custom_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[audience]]\nname = "all_mail"\ndescription = "d"\nwhen = "true"\nchannel = "email"\n'
                     '[[audience]]\nname = "all_sms"\ndescription = "d"\nwhen = "true"\nchannel = "sms"\n'
                     '[[audience]]\nname = "rest"\ndescription = "d"\nwhen = "true"\n')
    scores = pd.DataFrame({"customer_id": ["u", "s", "k"], "segment_name": "x", "churn_probability": 0.5,
                           "predicted_clv": 1.0, "p_purchase_90d": 0.5, "as_of": "2024-03-31"})
    features = pd.DataFrame({"customer_id": ["u", "s", "k"], "consent_email": [0.0, 1.0, 1.0],
                             "consent_sms": [1.0, 0.0, float("nan")]}).set_index("customer_id")
    result = assign(customer_table(scores, features), load_rules(rules))
    placed = dict(zip(result.assignments["customer_id"], result.assignments["audience"], strict=True))
    assert placed == {"s": "all_mail", "k": "all_mail", "u": "all_sms"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[audience]]\nname = "x"\ndescription = "d"\nwhen = "true"\nchannel = "pigeon"\n')
    with pytest.raises(ValueError, match="channel must be one of"):
        load_rules(bad)
