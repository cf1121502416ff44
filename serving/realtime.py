"""The answers of the scoring API as functions of the serving set and a validated request.

Scores come from `training.predict`: histories through `score` (the feature code of training and
batch scoring, the stored baselines, the models), snapshot customers from the scores computed when
the set was loaded (`serving.state`); explanations from `training.explain`: the service adds
lookups and shapes, never a second implementation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd

from features.events.schema import to_canonical_events
from serving.schemas import (
    EVENT_FIELDS,
    CustomerExplanation,
    CustomerHistory,
    CustomerScore,
    ExplainResponse,
    Reason,
    ScoreResponse,
    Scores,
    today_utc,
)
from serving.state import ServingSet, api_status, as_scores
from training.explain import explain
from training.predict import score


def known_rows(table: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The rows of `table` (indexed by customer_id) for the ids in it, once each, in request order."""
    index = table.index
    return table.loc[[i for i in dict.fromkeys(ids) if i in index]].reset_index()


def answer(ids: list[str], scores: Mapping[str, Scores], statuses: Mapping[str, str], serving: ServingSet,
           as_of: dt.date, as_of_source: str, missing: str = "unknown_customer", keys: list[str] | None = None,
           lines_after_as_of: int = 0) -> ScoreResponse:
    """One entry per requested id, in request order, with its status from `statuses` (`missing`
    for ids not in it) and its scores when it has them; `keys` (default: the ids) are what
    `scores` and `statuses` are keyed by."""
    customers = [CustomerScore(customer_id=i, status=statuses.get(key, missing), scores=scores.get(key))
                 for i, key in zip(ids, keys or ids, strict=True)]
    return ScoreResponse(as_of=as_of, as_of_source=as_of_source, model_versions=serving.versions,
                         customers=customers, lines_after_as_of=lines_after_as_of)


def score_ids(serving: ServingSet, ids: list[str]) -> ScoreResponse:
    """Scores of snapshot customers; ids not in the snapshot are answered as unknown_customer."""
    return answer(ids, serving.scores, serving.statuses, serving, serving.as_of, "snapshot")


def history_frame(customers: list[CustomerHistory], keys: list[str] | None = None) -> pd.DataFrame:
    """The customers' transactions as a canonical transaction frame, each under its key in `keys`
    (default: its customer_id)."""
    keys = keys or [customer.customer_id for customer in customers]
    rows = [{"customer_id": key, **line.model_dump()}
            for key, customer in zip(keys, customers, strict=True) for line in customer.transactions]
    return pd.DataFrame(rows)


def history_events(customers: list[CustomerHistory], keys: list[str] | None = None) -> pd.DataFrame:
    """The customers' engagement events as a canonical event frame, each under its key in `keys`."""
    keys = keys or [customer.customer_id for customer in customers]
    rows = [{"customer_id": key, **event.canonical()}
            for key, customer in zip(keys, customers, strict=True) for event in customer.events]
    return to_canonical_events(pd.DataFrame(rows, columns=["customer_id", *EVENT_FIELDS]))


def score_histories(serving: ServingSet, customers: list[CustomerHistory], as_of: dt.date | None) -> ScoreResponse:
    """Scores computed from raw transactions as of `as_of` (None: today, UTC), with the models'
    stored baselines; the answer's as_of_source says which.

    Each entry is scored from its own lines and events (keyed by its position, so an id sent twice
    is two histories); the events are used when the models were trained with them. Lines and events
    after `as_of` are left out, as in batch scoring; the lines are counted. A customer
    without a purchase on or before `as_of` has no order to build features from: status no_orders.
    """
    as_of_source = "request" if as_of is not None else "today_utc"
    as_of = as_of or today_utc()
    models = serving.models
    keys = [str(position) for position in range(len(customers))]
    events = history_events(customers, keys) if getattr(models, "uses_events", False) else None
    scored = score(models, history_frame(customers, keys), as_of, events=events, refit=False)
    scores, statuses = (as_scores(scored), api_status(scored)) if not scored.empty else ({}, {})
    after = sum(line.timestamp.date() > as_of for customer in customers for line in customer.transactions)
    return answer([customer.customer_id for customer in customers], scores, statuses, serving, as_of, as_of_source,
                  "no_orders", keys=keys, lines_after_as_of=after)


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def explain_ids(serving: ServingSet, ids: list[str], top: int) -> ExplainResponse:
    """Top churn and CLV reasons per known customer, strongest first."""
    frame = known_rows(serving.snapshot, ids)
    if "status" in frame.columns:
        frame = frame[frame["status"].ne("returns_only").to_numpy()].reset_index(drop=True)
    reasons: dict[str, dict[str, list[Reason]]] = {}
    if not frame.empty:
        by_task = {task: explain(serving.models, frame, task, top=top) for task in ("churn", "clv")}
        for position, customer_id in enumerate(frame["customer_id"]):
            reasons[customer_id] = {
                task: [Reason(feature=r.feature, value=_number(r.value), contribution=float(r.contribution),
                              text=r.text) for r in task_reasons[position][:top]]
                for task, task_reasons in by_task.items()
            }
    customers = [
        CustomerExplanation(customer_id=i, status=serving.statuses.get(i, "ok"), **reasons[i]) if i in reasons
        else CustomerExplanation(customer_id=i, status=serving.statuses.get(i, "unknown_customer"))
        for i in ids
    ]
    return ExplainResponse(as_of=serving.as_of, model_versions=serving.versions, customers=customers)
