"""Fault suite for the scoring API: every bad request one table row, answered 4xx naming the field.

Runs against the real service (the session's shared `service` fixture, tests/conftest.py). A
refused body is a 400 whose `detail` names the field (its `loc`) and says why; a limit is a 413
naming the limit; an undeclared method is a 405 with `Allow`; nothing is ever a 5xx, and a 400
leaves one INFO line naming the fields in the log instead of a traceback. Requests the schema
allows but that look odd (an id sent twice, lines after `as_of`, dates at the supported edges)
are answered, with values checked against scoring the same histories one by one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from service_process import LIMITS, Service

pytestmark = pytest.mark.slow

LINE = {"order_id": "o1", "timestamp": "2023-05-01T10:00:00Z", "amount": 10.0}
MAX_CUSTOMERS = int(LIMITS["INSIGHT_MAX_CUSTOMERS"])
MAX_TRANSACTIONS = int(LIMITS["INSIGHT_MAX_TRANSACTIONS"])


def history(*lines: dict, as_of: str | None = "2023-06-30", customer: str = "a") -> dict:
    body: dict = {"customers": [{"customer_id": customer, "transactions": list(lines) or [LINE]}]}
    return {"as_of": as_of, **body} if as_of else body


@dataclass(frozen=True)
class Fault:
    name: str
    path: str
    body: object
    status: int = 400
    loc: list = field(default_factory=list)
    """The `loc` of the field error the 400 must carry (400 only)."""
    message: str = ""
    """Words the error must contain: in that field error's `msg` (400), or in `error` (other codes)."""
    method: str = "POST"
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


TX = ["customers", 0, "transactions", 0]
FAULTS = [
    Fault("ids not a list", "/score", {"customer_ids": "C0000001"}, loc=["customer_ids"], message="valid array"),
    Fault("id a number", "/score", {"customer_ids": [17]}, loc=["customer_ids", 0], message="string"),
    Fault("id null", "/score", {"customer_ids": [None]}, loc=["customer_ids", 0], message="string"),
    Fault("ids missing", "/score", {}, loc=["customer_ids"], message="required"),
    Fault("ids empty", "/score", {"customer_ids": []}, loc=["customer_ids"], message="at least 1"),
    Fault("id empty", "/score", {"customer_ids": [""]}, loc=["customer_ids", 0], message="at least 1"),
    Fault("id too long", "/score", {"customer_ids": ["x" * 129]}, loc=["customer_ids", 0], message="at most 128"),
    Fault("unknown field", "/score", {"customer_ids": ["a"], "limit": 5}, loc=["limit"], message="not permitted"),
    Fault("top zero", "/explain", {"customer_ids": ["a"], "top": 0}, loc=["top"], message="greater than"),
    Fault("top a string", "/explain", {"customer_ids": ["a"], "top": "2"}, loc=["top"], message="valid integer"),
    Fault("top a float", "/explain", {"customer_ids": ["a"], "top": 2.5}, loc=["top"], message="valid integer"),
    Fault("reload with a field", "/reload", {"force": True}, loc=["force"], message="not permitted"),
    Fault("customers empty", "/score_history", {"customers": []}, loc=["customers"], message="at least 1"),
    Fault("transactions empty", "/score_history", {"customers": [{"customer_id": "a", "transactions": []}]},
          loc=["customers", 0, "transactions"], message="at least 1"),
    Fault("transactions null", "/score_history", {"customers": [{"customer_id": "a", "transactions": None}]},
          loc=["customers", 0, "transactions"], message="valid array"),
    Fault("impossible date", "/score_history", history(as_of="2023-02-30"), loc=["as_of"], message="date"),
    Fault("as_of with a time", "/score_history", history(as_of="2023-06-30T00:00:00"), loc=["as_of"],
          message="date"),
    Fault("as_of 9999-12-31", "/score_history", history(as_of="9999-12-31"), loc=["as_of"],
          message="between 1900 and 2199"),
    Fault("as_of 0001-01-01", "/score_history", history(as_of="0001-01-01"), loc=["as_of"],
          message="between 1900 and 2199"),
    Fault("as_of 2262-04-12 (past pandas' nanoseconds)", "/score_history", history(as_of="2262-04-12"),
          loc=["as_of"], message="between 1900 and 2199"),
    Fault("line at 9999-12-31", "/score_history",
          history({**LINE, "timestamp": "9999-12-31T23:59:59Z"}, as_of="2199-12-31"),
          loc=[*TX, "timestamp"], message="between 1900 and 2199"),
    Fault("line at 0001-01-01 with an offset", "/score_history",
          history({**LINE, "timestamp": "0001-01-01T00:00:00+05:00"}), loc=[*TX, "timestamp"],
          message="between 1900 and 2199"),
    Fault("line in 1677", "/score_history", history({**LINE, "timestamp": "1677-09-21T00:12:44Z"}),
          loc=[*TX, "timestamp"], message="between 1900 and 2199"),
    Fault("timestamp words", "/score_history", history({**LINE, "timestamp": "yesterday"}),
          loc=[*TX, "timestamp"], message="RFC 3339"),
    Fault("timestamp a date only", "/score_history", history({**LINE, "timestamp": "2023-05-01"}),
          loc=[*TX, "timestamp"], message="RFC 3339"),
    Fault("timestamp without an offset", "/score_history", history({**LINE, "timestamp": "2023-05-01T10:00:00"}),
          loc=[*TX, "timestamp"], message="with an offset"),
    Fault("timestamp with a space for the T", "/score_history",
          history({**LINE, "timestamp": "2023-05-01 10:00:00Z"}), loc=[*TX, "timestamp"], message="RFC 3339"),
    Fault("timestamp on February 30", "/score_history", history({**LINE, "timestamp": "2023-02-30T10:00:00Z"}),
          loc=[*TX, "timestamp"], message="day is out of range"),
    Fault("second 60 that is no leap second", "/score_history",
          history({**LINE, "timestamp": "2023-05-01T10:00:60Z"}), loc=[*TX, "timestamp"], message="leap second"),
    Fault("timestamp epoch seconds", "/score_history", history({**LINE, "timestamp": 1682935200}),
          loc=[*TX, "timestamp"], message="datetime"),
    Fault("amount words", "/score_history", history({**LINE, "amount": "ten"}), loc=[*TX, "amount"],
          message="valid number"),
    Fault("amount a numeric string", "/score_history", history({**LINE, "amount": "10"}), loc=[*TX, "amount"],
          message="valid number"),
    Fault("amount beyond 1e9", "/score_history", history({**LINE, "amount": 1e10}), loc=[*TX, "amount"],
          message="less than or equal"),
    Fault("quantity a numeric string", "/score_history", history({**LINE, "quantity": "3"}),
          loc=[*TX, "quantity"], message="valid number"),
    Fault("quantity true", "/score_history", history({**LINE, "quantity": True}), loc=[*TX, "quantity"],
          message="valid number"),
    Fault("quantity a list", "/score_history", history({**LINE, "quantity": [1]}), loc=[*TX, "quantity"],
          message="valid number"),
    Fault("quantity beyond 1e6", "/score_history", history({**LINE, "quantity": 1e7}), loc=[*TX, "quantity"],
          message="less than or equal"),
    Fault("negative quantity on a sale", "/score_history", history({**LINE, "quantity": -2}), loc=TX,
          message="quantity is negative"),
    Fault("timestamp missing", "/score_history", history({"order_id": "o", "amount": 1}), loc=[*TX, "timestamp"],
          message="required"),
    Fault("unknown line field", "/score_history", history({**LINE, "colour": "red"}), loc=[*TX, "colour"],
          message="not permitted"),
    Fault("order id empty", "/score_history", history({**LINE, "order_id": ""}), loc=[*TX, "order_id"],
          message="at least 1"),
    Fault("broken JSON", "/score", None, loc=[], message="Invalid JSON", content=b'{"customer_ids": ["a"',
          headers={"Content-Type": "application/json"}),
    Fault("NaN amount", "/score_history", None, loc=[*TX, "amount"], message="finite",
          content=b'{"customers": [{"customer_id": "a", "transactions": [{"order_id": "o", '
                  b'"timestamp": "2023-01-01T00:00:00Z", "amount": NaN}]}]}',
          headers={"Content-Type": "application/json"}),
    Fault("form body", "/score", None, status=415, message="application/json", content=b"customer_ids=a",
          headers={"Content-Type": "application/x-www-form-urlencoded"}),
    Fault("too many ids", "/score", {"customer_ids": [str(i) for i in range(MAX_CUSTOMERS + 1)]}, status=413,
          message=f"limit is {MAX_CUSTOMERS}"),
    Fault("too many customers", "/score_history",
          {"customers": [{"customer_id": str(i), "transactions": [LINE]} for i in range(MAX_CUSTOMERS + 1)]},
          status=413, message=f"limit is {MAX_CUSTOMERS}"),
    Fault("too many transactions", "/score_history",
          history(*[{**LINE, "order_id": str(i)} for i in range(MAX_TRANSACTIONS + 1)]), status=413,
          message=f"customers[0] has {MAX_TRANSACTIONS + 1} transactions"),
    Fault("body too large", "/score", {"customer_ids": ["x" * 100] * 3000}, status=413, message="bytes"),
]
UNDECLARED = [("GET", "/score", "POST"), ("PUT", "/score", "POST"), ("DELETE", "/score_history", "POST"),
              ("PATCH", "/explain", "POST"), ("GET", "/reload", "POST"), ("POST", "/models", "GET"),
              ("PUT", "/models", "GET"), ("DELETE", "/models", "GET")]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_bad_request_is_refused_naming_the_field(service: Service, fault: Fault) -> None:
    with service.client() as http:
        if fault.content is not None:
            answer = http.request(fault.method, fault.path, content=fault.content, headers=fault.headers)
        else:
            answer = http.request(fault.method, fault.path, json=fault.body)
    assert answer.status_code == fault.status, answer.text
    if fault.status == 400:
        errors = answer.json()["detail"]
        assert any(e["loc"] == fault.loc and fault.message in e["msg"] for e in errors), errors
    else:
        assert fault.message in answer.json()["error"]


@pytest.mark.parametrize(("method", "path", "allowed"), UNDECLARED, ids=[f"{m} {p}" for m, p, _ in UNDECLARED])
def test_an_undeclared_method_is_405_with_allow(service: Service, method: str, path: str, allowed: str) -> None:
    with service.client() as http:
        answer = http.request(method, path)
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == allowed


def test_a_refusal_is_one_info_line_naming_the_fields(service: Service) -> None:
    with service.client() as http:
        answer = http.post("/score_history", json=history({**LINE, "quantity": "3"}, as_of="9999-12-31"))
    assert answer.status_code == 400
    expected = "refused POST /score_history with 400: invalid customers.0.transactions.0.quantity, as_of"
    deadline = time.monotonic() + 10
    while expected not in (log := service.log.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.2)
    line = next(line for line in log.splitlines() if expected in line)
    assert "[INFO]" in line
    assert "Exception on /" not in log and "ValidationError" not in log


def scores_of(service: Service, body: dict) -> list[dict]:
    with service.client() as http:
        answer = http.post("/score_history", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["customers"]


def test_an_id_sent_twice_is_two_histories_answered_in_order(service: Service) -> None:
    small = [LINE]
    large = [{**LINE, "order_id": f"o{i}", "timestamp": f"2023-0{i}-01T10:00:00Z", "amount": 80.0} for i in (1, 3, 5)]
    both = {"as_of": "2023-06-30", "customers": [{"customer_id": "a", "transactions": small},
                                                 {"customer_id": "a", "transactions": large}]}
    first, second = scores_of(service, both)
    assert first["customer_id"] == second["customer_id"] == "a"
    assert first["scores"] == scores_of(service, history(*small))[0]["scores"]
    assert second["scores"] == scores_of(service, history(*large))[0]["scores"]
    assert first["scores"] != second["scores"]


def test_lines_after_as_of_are_left_out_and_counted(service: Service) -> None:
    later = {**LINE, "order_id": "late", "timestamp": "2023-07-01T00:00:00Z", "amount": 500.0}
    with service.client() as http:
        both = http.post("/score_history", json=history(LINE, later)).json()
        alone = http.post("/score_history", json=history(LINE)).json()
        only_later = http.post("/score_history", json=history(later)).json()
    assert both["lines_after_as_of"] == 1 and alone["lines_after_as_of"] == 0
    assert both["customers"] == alone["customers"]
    assert only_later["customers"] == [{"customer_id": "a", "status": "no_orders", "scores": None}]


@pytest.mark.parametrize(("as_of", "timestamp"), [("1900-01-01", "1900-01-01T00:00:00Z"),
                                                  ("2199-12-31", "2199-12-31T23:59:59Z"),
                                                  ("2199-12-31", "1900-01-01T10:00:00+09:00"),
                                                  ("2016-12-31", "2016-12-31T18:59:60-05:00")])
def test_dates_at_the_supported_edges_are_scored(service: Service, as_of: str, timestamp: str) -> None:
    (customer,) = scores_of(service, history({**LINE, "timestamp": timestamp}, as_of=as_of))
    assert customer["status"] == "ok"
    assert 0 <= customer["scores"]["churn_probability"] <= 1


def test_the_document_states_the_limits(service: Service) -> None:
    with service.client(key=None) as http:
        spec = http.get("/docs.json").json()
    schemas = spec["components"]["schemas"]
    body = spec["paths"]["/score_history"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["customers"]["maxItems"] == MAX_CUSTOMERS
    assert schemas["CustomerHistory"]["properties"]["transactions"]["maxItems"] == MAX_TRANSACTIONS
    assert schemas["ScoreRequestIODescriptor"]["properties"]["customer_ids"]["maxItems"] == MAX_CUSTOMERS
    as_of = schemas["HistoryRequestIODescriptor"]["properties"]["as_of"]
    assert any(branch.get("pattern", "").startswith("^(19") for branch in as_of.get("anyOf", [as_of]))
    assert {"properties": {"amount": {"maximum": 0}}} in schemas["Transaction"]["anyOf"]
