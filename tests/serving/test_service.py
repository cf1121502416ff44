"""The scoring service over HTTP: every endpoint, API keys, unknown customers, logs (bad input and
limits are in tests/reliability/test_api_faults.py)."""

from __future__ import annotations

import datetime as dt
import time

import mlflow
import pandas as pd
import pytest

from service_process import KEYS, Service
from features.pipeline import build_scoring_frame, load_latest_snapshot
from training.champions import Champions, load_champions
from training.predict import score_frame, with_baselines_of
from workspace import SNAPSHOT_AS_OF, Workspace

pytestmark = pytest.mark.slow

PROTECTED = [
    ("POST", "/score", {"customer_ids": ["x"]}),
    ("POST", "/score_history", {"customers": [{"customer_id": "x", "transactions": [
        {"order_id": "o", "timestamp": "2023-01-01T00:00:00Z", "amount": 1.0}]}]}),
    ("POST", "/explain", {"customer_ids": ["x"]}),
    ("POST", "/reload", {}),
    ("GET", "/models", None),
]


@pytest.fixture(scope="module")
def champions(workspace: Workspace) -> Champions:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", workspace.tracking_uri)
        champions = load_champions()
        mlflow.set_tracking_uri(None)
    return champions


@pytest.fixture(scope="module")
def snapshot(workspace: Workspace) -> pd.DataFrame:
    frame, as_of = load_latest_snapshot(workspace.snapshots)
    assert as_of == SNAPSHOT_AS_OF
    return frame


def history_of(workspace: Workspace, customer_id: str, as_of: dt.date) -> list[dict]:
    """A customer's canonical transactions up to as_of, as /score_history takes them."""
    tx = workspace.transactions
    lines = tx[(tx["customer_id"] == customer_id) & (tx["timestamp"] < pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1))]
    return [
        {"order_id": str(r.order_id), "timestamp": r.timestamp.isoformat(), "amount": float(r.amount),
         "quantity": None if pd.isna(r.quantity) else float(r.quantity),
         "channel": None if pd.isna(r.channel) else str(r.channel)}
        for r in lines.itertuples()
    ]


def test_probes_metrics_and_docs_are_open(service: Service) -> None:
    with service.client(key=None) as http:
        assert http.get("/livez").status_code == 200
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["ready"] is True
        assert set(ready.json()["model_versions"]) == {"customer-segments", "customer-churn",
                                                      "customer-next-purchase", "customer-clv"}
        http.post("/score", json={"customer_ids": ["x"]}, headers={"Authorization": f"Bearer {KEYS[0]}"})
        metrics = http.get("/metrics")
        assert metrics.status_code == 200 and 'endpoint="/score"' in metrics.text
        spec = http.get("/docs.json").json()
        assert {"/score", "/score_history", "/explain", "/models", "/reload"} <= set(spec["paths"])
        assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
        assert "413" in spec["paths"]["/score"]["post"]["responses"]
        history = spec["paths"]["/score_history"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert {"type": "null"} in history["properties"]["as_of"]["anyOf"], "as_of: null is accepted, so documented"
        assert history["properties"]["customers"]["maxItems"] > 0


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[p for _, p, _ in PROTECTED])
def test_every_scoring_endpoint_needs_a_valid_key(service: Service, method: str, path: str, body) -> None:
    for key in (None, "not-a-key"):
        with service.client(key=key) as http:
            answer = http.request(method, path, json=body)
        assert answer.status_code == 401, (key, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in answer.json()["error"]
    with service.client(key=KEYS[1]) as http:
        assert http.request(method, path, json=body).status_code == 200


def test_score_answers_known_ids_like_batch_scoring_and_unknown_ids_per_id(
    service: Service, champions: Champions, snapshot: pd.DataFrame
) -> None:
    known = list(snapshot.index[[0, 7, 42]])
    with service.client() as http:
        answer = http.post("/score", json={"customer_ids": [known[0], "no-such-customer", known[1], known[2]]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == SNAPSHOT_AS_OF.isoformat()
    assert body["model_versions"] == champions.versions_by_name
    statuses = [(c["customer_id"], c["status"]) for c in body["customers"]]
    assert statuses == [(known[0], "ok"), ("no-such-customer", "unknown_customer"), (known[1], "ok"),
                        (known[2], "ok")]
    assert body["customers"][1]["scores"] is None
    expected = score_frame(champions.models, snapshot.loc[known].reset_index()).set_index("customer_id")
    for customer in (c for c in body["customers"] if c["status"] == "ok"):
        row, got = expected.loc[customer["customer_id"]], customer["scores"]
        assert got["segment_id"] == row["segment_id"] and got["segment_name"] == row["segment_name"]
        for field in ("churn_probability", "expected_orders", "p_purchase_30d", "p_purchase_90d", "predicted_clv"):
            assert got[field] == pytest.approx(row[field], rel=1e-9), field
        date = row["expected_next_purchase_date"]
        assert got["expected_next_purchase_date"] == (None if pd.isna(date) else date.isoformat())
        assert got["next_purchase_after_horizon"] == bool(row["next_purchase_after_horizon"])
        assert (got["expected_next_purchase_date"] is None) == got["next_purchase_after_horizon"]
    assert body["as_of_source"] == "snapshot"


def test_score_history_uses_the_training_feature_code(
    service: Service, workspace: Workspace, champions: Champions, snapshot: pd.DataFrame
) -> None:
    as_of = dt.date(2023, 11, 30)
    ids = list(snapshot.index[[3, 11]])
    customers = [{"customer_id": i, "transactions": history_of(workspace, i, as_of)} for i in ids]
    returns_only = {"customer_id": "R1", "transactions": [
        {"order_id": "r", "timestamp": "2023-06-01T12:00:00Z", "amount": -20.0, "quantity": -1}]}
    with service.client() as http:
        answer = http.post("/score_history", json={"as_of": as_of.isoformat(), "customers": [*customers, returns_only]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == as_of.isoformat() and body["as_of_source"] == "request"
    assert [c["status"] for c in body["customers"]] == ["ok", "ok", "no_orders"]
    tx = workspace.transactions[workspace.transactions["customer_id"].isin(ids)]
    frame = build_scoring_frame(tx, as_of, champions.models.horizon_days, channels=champions.models.channels)
    expected = score_frame(champions.models, with_baselines_of(champions.models, frame)).set_index("customer_id")
    for customer in body["customers"][:2]:
        row = expected.loc[customer["customer_id"]]
        assert customer["scores"]["churn_probability"] == pytest.approx(row["churn_probability"], rel=1e-6)
        assert customer["scores"]["predicted_clv"] == pytest.approx(row["predicted_clv"], rel=1e-6)
        assert customer["scores"]["expected_orders"] == pytest.approx(row["expected_orders"], rel=1e-6)


def test_score_history_without_as_of_says_it_used_today(service: Service, workspace: Workspace,
                                                        snapshot: pd.DataFrame) -> None:
    customer = snapshot.index[3]
    with service.client() as http:
        before = dt.datetime.now(dt.UTC).date()
        answer = http.post("/score_history", json={"customers": [
            {"customer_id": customer, "transactions": history_of(workspace, customer, SNAPSHOT_AS_OF)}]})
        after = dt.datetime.now(dt.UTC).date()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of_source"] == "today_utc" and body["as_of"] in (before.isoformat(), after.isoformat())
    assert body["customers"][0]["status"] == "ok"


def test_explain_gives_plain_reasons_for_churn_and_clv(service: Service, snapshot: pd.DataFrame) -> None:
    known = snapshot.index[5]
    with service.client() as http:
        answer = http.post("/explain", json={"customer_ids": [known, "nobody"], "top": 2})
    assert answer.status_code == 200, answer.text
    first, unknown = answer.json()["customers"]
    assert first["status"] == "ok" and unknown == {"customer_id": "nobody", "status": "unknown_customer",
                                                    "churn": [], "clv": []}
    for task in ("churn", "clv"):
        assert 1 <= len(first[task]) <= 2
        for reason in first[task]:
            assert reason["feature"] in snapshot.columns and len(reason["text"]) > 5
            assert isinstance(reason["contribution"], float)


def test_models_says_what_is_serving(service: Service, champions: Champions) -> None:
    with service.client() as http:
        body = http.get("/models").json()
    assert body["source"] == "mlflow" and body["model_versions"] == champions.versions_by_name
    assert body["snapshot_as_of"] == SNAPSHOT_AS_OF.isoformat() and body["snapshot_customers"] == 1500
    assert body["horizon_days"] == 90 and body["last_load_error"] is None


LINE = {"order_id": "o1", "timestamp": "2023-05-01T10:00:00Z", "amount": 10.0}
def test_customer_data_stays_out_of_the_log(service: Service) -> None:
    marker = "2023-13-45T99:00:00-secret"
    with service.client() as http:
        answer = http.post("/score_history", json={"customers": [{"customer_id": "a", "transactions": [
            {**LINE, "timestamp": marker, "product_id": marker, "amount": marker}]}]})
    assert answer.status_code == 400 and len(answer.json()["detail"]) == 2
    assert marker not in answer.text
    assert marker not in service.log.read_text(errors="replace")


def test_scoring_routes_are_logged_and_counted_but_not_traced(service: Service) -> None:
    with service.client() as http:
        assert http.post("/score", json={"customer_ids": ["x"]}).status_code == 200
        assert http.get("/models").status_code == 200
        metrics = http.get("/metrics").text
    deadline = time.monotonic() + 10
    while True:
        lines = service.log.read_text(errors="replace").splitlines()
        score_lines = [line for line in lines if "path=/score," in line]
        models_lines = [line for line in lines if "path=/models," in line]
        if (score_lines and models_lines) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert score_lines and models_lines
    assert all("trace=" not in line for line in score_lines)
    assert "trace=" in models_lines[-1]
    assert 'endpoint="/score"' in metrics


def test_customers_without_a_paid_order_are_answered_with_their_status(
    champions: Champions, snapshot: pd.DataFrame
) -> None:
    from serving.realtime import score_histories, score_ids
    from serving.schemas import CustomerHistory
    from serving.state import prepare

    as_of = SNAPSHOT_AS_OF
    histories = [
        CustomerHistory(customer_id="Z1", transactions=[
            {"order_id": "z", "timestamp": dt.datetime(2023, 6, 1, 12, tzinfo=dt.UTC), "amount": 0.0, "quantity": 1}]),
        CustomerHistory(customer_id="R1", transactions=[
            {"order_id": "r", "timestamp": dt.datetime(2023, 6, 1, 12, tzinfo=dt.UTC), "amount": -20.0,
             "quantity": -1}]),
    ]
    models = champions.models
    from serving.realtime import history_frame

    extra = with_baselines_of(models, build_scoring_frame(history_frame(histories), as_of, models.horizon_days,
                                                          channels=models.channels))
    assert extra.set_index("customer_id")["status"].to_dict() == {"R1": "returns_only", "Z1": "no_paid_orders"}
    both = pd.concat([snapshot.reset_index(), extra], ignore_index=True).set_index("customer_id")
    serving = prepare(models, champions.versions_by_name, both, as_of, "test")
    known = str(snapshot.index[0])
    answered = {c.customer_id: c for c in score_ids(serving, [known, "Z1", "R1", "nobody"]).customers}
    assert {i: c.status for i, c in answered.items()} == {
        known: "ok", "Z1": "no_paid_orders", "R1": "no_orders", "nobody": "unknown_customer"}
    assert answered["Z1"].scores.segment_name == "no paid orders yet"
    assert 0 < answered["Z1"].scores.churn_probability < 1 and answered["R1"].scores is None
    assert len(serving.statuses) == len(both)
    live = {c.customer_id: c for c in score_histories(serving, histories, as_of).customers}
    assert live["Z1"].status == "no_paid_orders" and live["R1"].status == "no_orders"
    assert live["Z1"].scores == answered["Z1"].scores
