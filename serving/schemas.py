"""Request and response bodies of the scoring API, as pydantic models (they are the OpenAPI schema).

Every request model forbids unknown fields and hides input values in its error messages, so a
rejected request is answered field by field and no customer data reaches the server log.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(max_length=256)]

MAX_AMOUNT = 1e9
MAX_QUANTITY = 1e6
_REQUEST = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)


def today_utc() -> dt.date:
    """The default cutoff of /score_history: the current UTC day."""
    return dt.datetime.now(dt.UTC).date()


class ScoreRequest(BaseModel):
    """Customers to score from the loaded feature snapshot."""

    model_config = _REQUEST

    customer_ids: list[CustomerId] = Field(
        min_length=1, description="Customer ids as in the canonical transactions (e.g. CDNOW: \"00001\")."
    )


class ExplainRequest(ScoreRequest):
    """Customers whose churn and lifetime-value predictions to explain."""

    top: int = Field(3, ge=1, le=10, description="Reasons per prediction, strongest first.")


class Transaction(BaseModel):
    """One order line of a customer, in the canonical transaction fields (see README)."""

    model_config = _REQUEST

    order_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    timestamp: dt.datetime = Field(description="When the order was placed; ISO 8601, UTC when no offset is given.")
    amount: float = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT,
                          description="Line value in currency units; negative for returns and refunds.")
    quantity: float | None = Field(None, ge=-MAX_QUANTITY, le=MAX_QUANTITY,
                                   description="Units; negative only on a return (amount <= 0).")
    product_id: Text | None = None
    category: Text | None = None
    channel: Text | None = None
    region: Text | None = None

    @field_validator("amount", "quantity")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _quantity_sign(self) -> Transaction:
        if self.quantity is not None and self.quantity < 0 and self.amount > 0:
            raise ValueError("quantity is negative but amount is positive; a return has both negative (or amount 0)")
        return self


class CustomerHistory(BaseModel):
    """A customer given by its raw transactions instead of an id in the snapshot."""

    model_config = _REQUEST

    customer_id: CustomerId
    transactions: list[Transaction] = Field(min_length=1)


class HistoryRequest(BaseModel):
    """Customers scored from their transactions with the training feature code, as of a cutoff."""

    model_config = _REQUEST

    customers: list[CustomerHistory] = Field(min_length=1)
    as_of: dt.date | None = Field(
        None,
        description="Cutoff of the features (a whole UTC day); default: today (UTC), and the answer's "
        "as_of_source says so. Transactions after it are refused.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> HistoryRequest:
        seen: set[str] = set()
        for i, customer in enumerate(self.customers):
            if customer.customer_id in seen:
                raise ValueError(f"customers[{i}].customer_id repeats an earlier customer; send each customer once")
            seen.add(customer.customer_id)
            cutoff = self.as_of or today_utc()
            for j, line in enumerate(customer.transactions):
                if line.timestamp.date() > cutoff:
                    raise ValueError(
                        f"customers[{i}].transactions[{j}].timestamp is after as_of {cutoff}"
                        f"{'' if self.as_of else ' (today, UTC: no as_of given)'}; drop it or move as_of"
                    )
        return self


class Scores(BaseModel):
    """The batch-scoring fields of one customer."""

    segment_id: int
    segment_name: str
    churn_probability: float = Field(ge=0, le=1)
    expected_orders: float = Field(ge=0)
    p_purchase_30d: float = Field(ge=0, le=1)
    p_purchase_90d: float = Field(ge=0, le=1)
    expected_next_purchase_date: dt.date | None = Field(
        description="The day by which a purchase is as likely as not, when that day falls inside the model's "
        "horizon; null otherwise (then next_purchase_after_horizon is true).")
    next_purchase_after_horizon: bool = Field(
        description="True when a purchase within the horizon is less likely than not (churn_probability > 0.5), "
        "so the next purchase, if any, is expected after it.")
    predicted_clv: float


class CustomerScore(BaseModel):
    """One requested customer: its scores, or why there are none."""

    customer_id: str
    status: Literal["ok", "no_paid_orders", "no_orders", "unknown_customer"] = Field(
        description="ok: scored; no_paid_orders: only zero-value orders so far, scored (segment 'no paid "
        "orders yet'); no_orders: only returns on or before as_of, no purchase to build features from "
        "(batch status returns_only); unknown_customer: the id is not in the feature snapshot.")
    scores: Scores | None = Field(None, description="Present when status is ok or no_paid_orders.")


class ScoreResponse(BaseModel):
    """Scores per requested customer, in request order, with what produced them."""

    as_of: dt.date = Field(description="Cutoff of the features used.")
    as_of_source: Literal["snapshot", "request", "today_utc"] = Field(
        description="Where as_of comes from: the feature snapshot (/score), the request's as_of, or today "
        "(UTC) because /score_history was called without one.")
    model_versions: dict[str, str] = Field(description="Registered model name -> version.")
    customers: list[CustomerScore]


class Reason(BaseModel):
    """One reason behind a prediction: the feature, its value, and its signed contribution."""

    feature: str
    value: float | None
    contribution: float = Field(description="On the model's raw scale (log-odds for churn, log-spend for CLV): "
                                "LightGBM's SHAP value, a blend's weighted parts (its BTYD part as one reason), "
                                "or a BTYD model's Shapley value against the median training customer.")
    text: str


class CustomerExplanation(BaseModel):
    customer_id: str
    status: Literal["ok", "no_paid_orders", "no_orders", "unknown_customer"]
    churn: list[Reason] = Field(default_factory=list)
    clv: list[Reason] = Field(default_factory=list)


class ExplainResponse(BaseModel):
    as_of: dt.date
    model_versions: dict[str, str]
    customers: list[CustomerExplanation]


class ModelsResponse(BaseModel):
    """What is loaded and serving, and the last failed load if any."""

    source: Literal["mlflow", "bentoml"]
    model_versions: dict[str, str]
    horizon_days: int
    feature_schema_version: str
    snapshot_as_of: dt.date
    snapshot_customers: int
    loaded_at: dt.datetime
    last_load_error: str | None


class ReloadResponse(BaseModel):
    """Outcome of a reload: the versions serving afterwards, and the error if the new set failed."""

    reloaded: bool
    model_versions: dict[str, str]
    snapshot_as_of: dt.date
    error: str = Field(description="Why the new set failed to load; empty when it loaded.")


class ReloadRequest(BaseModel):
    model_config = _REQUEST
