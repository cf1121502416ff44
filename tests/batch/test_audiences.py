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
