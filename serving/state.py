"""What the service is serving: one set of champion models with its feature snapshot, swapped whole.

Every snapshot customer is scored when the set is prepared (`training.predict.score_frame`, the
models' step of batch scoring on the snapshot batch scoring saved), so
a lookup by id costs a dictionary access rather than a model call. A reload prepares the new set
completely before it replaces the old one: requests in flight keep the set they started with, and
a set that fails to load or to score leaves the previous one serving, with the reason kept for
/readyz and /models.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from serving.schemas import Scores
from training.job import CustomerModels
from training.predict import score_frame

log = logging.getLogger(__name__)

SCORE_FIELDS = tuple(Scores.model_fields)


@dataclass(frozen=True)
class ServingSet:
    """Champion models, their registered versions, the snapshot and its customers' scores."""

    models: CustomerModels
    versions: dict[str, str]
    snapshot: pd.DataFrame
    """The scoring frame of `as_of` (features, calendar and baseline columns), indexed by customer_id."""
    scores: Mapping[str, Scores]
    """`score_frame(models, snapshot)` by customer id, ready to answer."""
    as_of: dt.date
    source: str
    loaded_at: dt.datetime
    statuses: Mapping[str, str] = field(default_factory=dict)
    """The API status (see `api_status`) of every snapshot customer, scored or not."""


API_STATUS = {"scored": "ok", "no_paid_orders": "no_paid_orders", "returns_only": "no_orders"}
"""Batch scoring's `status` -> the API's: `ok` predates the status column and stays its name."""


def api_status(scored: pd.DataFrame) -> dict[str, str]:
    """customer id -> API status for rows of `score()` output."""
    return dict(zip(scored["customer_id"].astype(str), scored["status"].map(API_STATUS), strict=True))


def as_scores(scored: pd.DataFrame) -> dict[str, Scores]:
    """Rows of `score()` output that have scores, keyed by customer id; a missing next purchase date
    becomes null."""
    rows = scored[scored["status"].ne("returns_only").to_numpy()][["customer_id", *SCORE_FIELDS]].astype({"expected_next_purchase_date": object})
    rows = rows.where(rows.notna(), None)
    return {str(row.pop("customer_id")): Scores(**row) for row in rows.to_dict("records")}


def prepare(models: CustomerModels, versions: dict[str, str], snapshot: pd.DataFrame, as_of: dt.date,
            source: str) -> ServingSet:
    """A ServingSet with every snapshot customer scored; models and snapshot must fit each other."""
    if snapshot.empty:
        raise ValueError(f"the feature snapshot of {as_of} has no customers")
    try:
        scored = score_frame(models, snapshot.reset_index())
        scores, statuses = as_scores(scored), api_status(scored)
    except (KeyError, ValueError) as exc:
        raise ValueError(
            f"the champion models cannot score the snapshot of {as_of} ({exc}); "
            "rebuild the snapshot with the current champions (`insight score`)"
        ) from exc
    return ServingSet(models, versions, snapshot, scores, as_of, source, dt.datetime.now(dt.UTC), statuses)


class ServingState:
    """The current ServingSet and the last load failure; `reload` is safe to call while serving."""

    def __init__(self, loader: Callable[[], ServingSet]) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self.current: ServingSet | None = None
        self.last_error: str | None = None

    def reload(self) -> bool:
        """Load a new set and swap it in; on any failure keep the current set and record why."""
        with self._lock:
            try:
                fresh = self._loader()
            except Exception as exc:  # any failure must leave the previous set serving
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.error("model load failed, %s: %s", "keeping the previous set" if self.current else
                          "nothing to serve", self.last_error)
                return False
            self.current, self.last_error = fresh, None
            log.info("serving %s with the snapshot of %s (from %s)", fresh.versions, fresh.as_of, fresh.source)
            return True
