"""/score_history with engagement events: models trained with events read the request's events
through the same feature code as batch scoring; events after as_of change nothing; models trained
without events ignore them; every event is checked against the vocabulary and its scale."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pandas as pd
import pytest
from pydantic import ValidationError

from features.pipeline import build_scoring_frame
from features.synth import SimulationConfig, simulate
from serving.realtime import history_events, score_histories
from serving.schemas import CustomerHistory, HistoryRequest, Transaction
from serving.state import prepare
from training.config import TrainConfig
from training.examples import build_examples
from training.job import train
from training.models.churn import ChurnModel
from training.predict import score, with_baselines_of
from workspace import SMALL

AS_OF, SCORED_AT = dt.date(2023, 9, 30), dt.date(2023, 12, 31)
SCORES = ("churn_probability", "expected_orders", "p_purchase_30d", "predicted_clv")


@pytest.fixture(scope="module")
def trained():
    """A 400-customer simulated base with events and small models trained with them; churn served by
    its LightGBM model (the small base may choose a baseline, which reads no events)."""
    base = simulate(SimulationConfig(n_customers=400, seed=4, start="2022-01-01", end="2023-12-31", events=True))
    config = TrainConfig(as_of=AS_OF, horizon_days=90, n_cutoffs=1, step_days=45)
    examples = build_examples(base.transactions, config, base.events)
    outcome = train(base.transactions, config, params={task: SMALL for task in ("churn", "next_purchase", "clv")},
                    examples=examples)
    assert outcome.models.uses_events
    churn = ChurnModel(method="gbm", params=SMALL, random_state=config.seed).fit(examples.full, examples.full)
    models = replace(outcome.models, churn=churn)
    features = build_scoring_frame(base.transactions, SCORED_AT, models.horizon_days,
                                   channels=models.channels, events=base.events)
    snapshot = with_baselines_of(models, features).set_index("customer_id")
    serving = prepare(models, {"customer-churn": "1"}, snapshot, SCORED_AT, "snapshot")
    return base, models, serving


def _request_events(events: pd.DataFrame) -> list[dict]:
    out = []
    for row in events.to_dict("records"):
        event = {"event_type": row["event_type"], "timestamp": row["timestamp"].isoformat(),
                 "channel": row["channel"]}
        for field in ("campaign_id", "product_id"):
            if not pd.isna(row[field]):
                event[field] = row[field]
        properties = json.loads(row["properties"]) if not pd.isna(row["properties"]) else {}
        if row["event_type"] == "survey_response":
            event["survey"] = properties.pop("survey", "nps")
        if not pd.isna(row["value"]):
            event["value"] = float(row["value"])
        if properties:
            event["properties"] = properties
        out.append(event)
    return out


def _histories(base, ids: list[str], until: pd.Timestamp, with_events: bool = True) -> list[CustomerHistory]:
    lines = base.transactions[base.transactions["timestamp"] < until]
    events = base.events[base.events["timestamp"] < until]
    fields = list(Transaction.model_fields)
    histories = []
    for cid in ids:
        mine = lines[lines["customer_id"] == cid][fields]
        body = {"customer_id": cid, "transactions": [
            {k: (None if pd.isna(v) else (v.isoformat() if isinstance(v, pd.Timestamp) else v)) for k, v in row.items()}
            for row in mine.to_dict("records")]}
        if with_events:
            body["events"] = _request_events(events[events["customer_id"] == cid])
        histories.append(CustomerHistory.model_validate_json(json.dumps(body)))
    return histories


def _customers_with_email_events(base, n: int, bought_by: dt.date = SCORED_AT) -> list[str]:
    bought = set(base.transactions.loc[base.transactions["timestamp"] < pd.Timestamp(bought_by, tz="UTC"),
                                       "customer_id"])
    emailed = base.events.loc[base.events["event_type"].eq("email_open"), "customer_id"]
    return sorted(set(emailed) & bought)[:n]


def test_history_with_events_scores_as_the_feature_code_does(trained) -> None:
    base, models, serving = trained
    ids = _customers_with_email_events(base, 12)
    end = pd.Timestamp(SCORED_AT, tz="UTC") + pd.Timedelta(days=1)
    answered = {c.customer_id: c for c in score_histories(serving, _histories(base, ids, end), SCORED_AT).customers}
    lines = base.transactions[base.transactions["customer_id"].isin(ids)]
    events = base.events[base.events["customer_id"].isin(ids)]
    expected = score(models, lines, SCORED_AT, events=events, refit=False).set_index("customer_id")
    for column in SCORES:
        got = {i: getattr(answered[i].scores, column) for i in ids}
        assert got == pytest.approx(expected.loc[ids, column].to_dict(), rel=1e-9, abs=1e-12), column

    without = {c.customer_id: c for c in score_histories(
        serving, _histories(base, ids, end, with_events=False), SCORED_AT).customers}
    assert any(abs(without[i].scores.churn_probability - answered[i].scores.churn_probability) > 1e-6 for i in ids), \
        "the events made no difference to any customer's churn probability"


def test_events_after_as_of_change_nothing(trained) -> None:
    base, _, serving = trained
    ids = _customers_with_email_events(base, 8, bought_by=AS_OF)
    cut = pd.Timestamp(AS_OF, tz="UTC") + pd.Timedelta(days=1)
    before = score_histories(serving, _histories(base, ids, cut), AS_OF).customers
    everything = score_histories(serving, _histories(base, ids, pd.Timestamp("2030-01-01", tz="UTC")), AS_OF).customers
    assert [c.scores for c in everything] == [c.scores for c in before]


def test_request_events_become_canonical_rows() -> None:
    history = CustomerHistory.model_validate_json(json.dumps({
        "customer_id": "c1", "transactions": [{"order_id": "o1", "timestamp": "2023-05-01T10:00:00Z", "amount": 20.0}],
        "events": [
            {"event_type": "email_open", "timestamp": "2023-05-02T09:00:00+02:00", "campaign_id": "spring"},
            {"event_type": "survey_response", "timestamp": "2023-05-03T00:00:00Z", "value": 3},
            {"event_type": "survey_response", "survey": "csat", "timestamp": "2023-05-04T00:00:00Z", "value": 4.5},
            {"event_type": "review", "timestamp": "2023-05-05T00:00:00Z", "value": 5, "product_id": "p9",
             "channel": "App"},
            {"event_type": "custom:loyalty_scan", "timestamp": "2023-05-06T00:00:00Z", "properties": {"store": 12}},
        ]}))
    rows = history_events([history], ["k"])
    assert rows["customer_id"].tolist() == ["k"] * 5
    assert rows["timestamp"].iloc[0] == pd.Timestamp("2023-05-02T07:00:00Z")
    assert rows["channel"].tolist() == ["email", "survey", "survey", "app", "other"]
    assert [json.loads(p) if not pd.isna(p) else None for p in rows["properties"]] == [
        None, {"survey": "nps"}, {"survey": "csat"}, None, {"store": 12}]
    assert rows["value"].tolist()[1:4] == [3.0, 4.5, 5.0]


@pytest.mark.parametrize(("event", "location"), [
    ({"event_type": "email_opened"}, ("activity", "event_type")),
    ({"event_type": "survey_response", "value": 11}, ("nps", "value")),
    ({"event_type": "survey_response", "survey": "csat", "value": 0}, ("csat", "value")),
    ({"event_type": "survey_response"}, ("nps", "value")),
    ({"event_type": "review", "value": 6}, ("review", "value")),
    ({"event_type": "session", "value": float("inf")}, ("activity", "value")),
    ({"event_type": "session", "referrer": "x"}, ("activity", "referrer")),
], ids=["unknown type", "nps over 10", "csat under 1", "survey without score", "review over 5", "infinite value",
        "unknown field"])
def test_invalid_events_are_refused_field_by_field(event: dict, location: tuple[str, str]) -> None:
    body = {"customers": [{"customer_id": "c1", "transactions": [
        {"order_id": "o1", "timestamp": "2023-05-01T10:00:00Z", "amount": 20.0}],
        "events": [{"timestamp": "2023-05-02T00:00:00Z", **event}]}]}
    with pytest.raises(ValidationError) as raised:
        HistoryRequest.model_validate_json(json.dumps(body).replace("Infinity", "1e999"))
    errors = raised.value.errors()
    assert [e["loc"][:5] for e in errors] == [("customers", 0, "events", 0, location[0])], errors
    assert errors[0]["loc"][-1] == location[1]
