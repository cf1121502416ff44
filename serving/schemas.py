"""Request and response bodies of the scoring API, as pydantic models (they are the OpenAPI schema).

Every request model forbids unknown fields, takes JSON types strictly (a quantity of "3" or true is
refused, as the schema says) and hides input values in its error messages, so a rejected request
is answered field by field and no customer data reaches the server log. Every rule a request is
checked against is written in the schema too (`serving.openapi` adds the configured size limits),
so a request the document allows is answered and one it forbids is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from features.events.schema import CUSTOM_NAME, DEFAULT_CHANNEL, EVENT_TYPES, REVIEW_SCALE, SURVEY_SCALES

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(max_length=256)]

MAX_AMOUNT = 1e9
MAX_QUANTITY = 1e6
FIRST_YEAR, LAST_YEAR = 1900, 2199
DATE = r"(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = f"^{DATE}$"
DATE_TIME_PATTERN = (f"^{DATE}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?"
                     "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
"""Dates and timestamps are written with a year in FIRST_YEAR..LAST_YEAR, so the feature windows
around a cutoff never leave the calendar: the patterns the schema gives them beside their format
(whole patterns, so that values drawn from them mostly meet the format too)."""
_REQUEST = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True, strict=True)
RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d[Tt](\d\d):(\d\d):)(\d\d)(\.\d+)?([Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))$")
"""A date-time as JSON Schema's `date-time` format reads it (RFC 3339): a `T`, seconds and an offset."""


def rfc3339(value: Any) -> Any:
    """`value` read as an RFC 3339 date-time (a leap second, 23:59:60 UTC, as the last microsecond
    before it); pydantic alone would also take naive times and a space for the `T`. Anything but a
    string is left to the type check."""
    if not isinstance(value, str):
        return value
    match = RFC3339.match(value)
    if match is None:
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2023-05-01T10:00:00Z")
    seconds, fraction = match[4], (match[5] or "")[:7]
    sign = -1 if match[7] == "-" else 1
    offset = sign * (int(match[8]) * 60 + int(match[9])) if match[7] else 0
    if seconds == "60":
        if (int(match[2]) * 60 + int(match[3]) - offset) % 1440 != 23 * 60 + 59:
            raise ValueError("second 60 is only valid as a leap second, at 23:59:60 UTC")
        seconds, fraction = "59", ".999999"
    zone = "+00:00" if match[6] in "Zz" else match[6]
    try:
        return dt.datetime.fromisoformat(f"{match[1][:10]}T{match[1][11:]}{seconds}{fraction}{zone}")
    except ValueError as exc:
        raise ValueError(f"must be a valid RFC 3339 date-time ({exc})") from exc


def within_years(value: dt.date) -> dt.date:
    """`value` if its year (as written, before any time zone conversion) is in the supported range."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _utc_instant(value: dt.datetime) -> dt.datetime:
    return within_years(value).astimezone(dt.UTC)


UtcInstant = Annotated[dt.datetime, BeforeValidator(rfc3339), AfterValidator(_utc_instant)]
"""An RFC 3339 date-time with an offset, a year in the supported range, given back in UTC."""


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

    model_config = ConfigDict(**_REQUEST, json_schema_extra={
        "anyOf": [{"properties": {"quantity": {"minimum": 0}}}, {"properties": {"amount": {"maximum": 0}}}]})

    order_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    timestamp: UtcInstant = Field(
        description=f"When the order was placed; RFC 3339 with an offset (Z for UTC), a year in "
        f"{FIRST_YEAR}..{LAST_YEAR}.", json_schema_extra={"pattern": DATE_TIME_PATTERN})
    amount: float = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False,
                          description="Line value in currency units; negative for returns and refunds.")
    quantity: float | None = Field(None, ge=-MAX_QUANTITY, le=MAX_QUANTITY, allow_inf_nan=False,
                                   description="Units; negative only on a return (amount <= 0).")
    product_id: Text | None = None
    category: Text | None = None
    channel: Text | None = None
    region: Text | None = None

    @model_validator(mode="after")
    def _quantity_sign(self) -> Transaction:
        if self.quantity is not None and self.quantity < 0 and self.amount > 0:
            raise ValueError("quantity is negative but amount is positive; a return has both negative (or amount 0)")
        return self


SCORED_EVENT_TYPES = ("survey_response", "review")
ACTIVITY_TYPE_PATTERN = ("^(" + "|".join(t for t in EVENT_TYPES if t not in SCORED_EVENT_TYPES) + "|"
                         + CUSTOM_NAME.pattern.removeprefix("^").removesuffix("$") + ")$")
Property = Annotated[str, StringConstraints(max_length=256)] | bool | int | float | None


class _Event(BaseModel):
    """The fields every engagement event has (see docs/events.md for the vocabulary)."""

    model_config = _REQUEST

    timestamp: UtcInstant = Field(
        description=f"When it happened; RFC 3339 with an offset, a year in {FIRST_YEAR}..{LAST_YEAR}. Events after "
        "as_of are left out of the features.", json_schema_extra={"pattern": DATE_TIME_PATTERN})
    channel: Text | None = Field(None, description="web, app, email, sms, push, store, ...; default: the event "
                                 "type's usual channel (email for email_open, web for session, ...).")
    campaign_id: Text | None = None
    product_id: Text | None = None
    properties: dict[Annotated[str, StringConstraints(max_length=64)], Property] | None = Field(
        None, max_length=32, description="Anything else the source records (ticket_id pairs a ticket with its "
        "resolution).")

    def canonical(self) -> dict[str, Any]:
        """The event as a row of the canonical event table (without its customer)."""
        event_type = self.event_type  # type: ignore[attr-defined]
        properties = {**(self.properties or {}), **self._implied_properties()}
        return {"timestamp": self.timestamp, "event_type": event_type,
                "channel": (self.channel or DEFAULT_CHANNEL.get(event_type, "other")).lower(),
                "campaign_id": self.campaign_id, "product_id": self.product_id,
                "value": getattr(self, "value", None),
                "properties": json.dumps(properties, sort_keys=True) if properties else None}

    def _implied_properties(self) -> dict[str, Any]:
        return {}


EVENT_FIELDS = ("timestamp", "event_type", "channel", "campaign_id", "product_id", "value", "properties")
"""The canonical event columns `_Event.canonical` fills."""


class ActivityEvent(_Event):
    """A visit, view, cart, email, SMS, push, ticket or custom event."""

    event_type: Annotated[str, StringConstraints(pattern=ACTIVITY_TYPE_PATTERN)] = Field(
        description="session, page_view, product_view, add_to_cart, email_sent, email_open, email_click, "
        "email_bounce, unsubscribe, sms_sent, sms_click, push_open, ticket_opened, ticket_resolved, or custom:NAME.")
    value: float | None = Field(None, ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)


class NpsAnswer(_Event):
    """A Net Promoter Score survey answer, 0-10."""

    event_type: Literal["survey_response"]
    survey: Literal["nps"] = "nps"
    value: float = Field(ge=SURVEY_SCALES["nps"][0], le=SURVEY_SCALES["nps"][1], allow_inf_nan=False)

    def _implied_properties(self) -> dict[str, Any]:
        return {"survey": self.survey}


class CsatAnswer(_Event):
    """A customer-satisfaction survey answer, 1-5."""

    event_type: Literal["survey_response"]
    survey: Literal["csat"]
    value: float = Field(ge=SURVEY_SCALES["csat"][0], le=SURVEY_SCALES["csat"][1], allow_inf_nan=False)

    def _implied_properties(self) -> dict[str, Any]:
        return {"survey": self.survey}


class Review(_Event):
    """A product review with its rating, 1-5."""

    event_type: Literal["review"]
    value: float = Field(ge=REVIEW_SCALE[0], le=REVIEW_SCALE[1], allow_inf_nan=False)


def _event_kind(value: Any) -> str:
    """Which variant an event is, from its event_type (and a survey answer's survey)."""
    kind = value.get("event_type") if isinstance(value, dict) else getattr(value, "event_type", None)
    if kind == "review":
        return "review"
    if kind == "survey_response":
        survey = value.get("survey") if isinstance(value, dict) else getattr(value, "survey", None)
        return "csat" if survey == "csat" else "nps"
    return "activity"


Event = Annotated[
    Annotated[ActivityEvent, Tag("activity")] | Annotated[NpsAnswer, Tag("nps")]
    | Annotated[CsatAnswer, Tag("csat")] | Annotated[Review, Tag("review")],
    Discriminator(_event_kind),
]
"""One engagement event; the variants do not overlap, so each event matches exactly one and an
error names the fields of that one (events.3.csat.value)."""


class CustomerHistory(BaseModel):
    """A customer given by its raw transactions (and engagement events) instead of an id in the
    snapshot; scored from these alone (an id sent twice is two histories, answered one by one)."""

    model_config = _REQUEST

    customer_id: CustomerId
    transactions: list[Transaction] = Field(min_length=1)
    events: list[Event] = Field(
        default_factory=list, description="Engagement events (visits, emails, tickets, surveys, reviews); used "
        "when the models were trained with events, ignored otherwise. A customer without events gets the "
        "features of one with no engagement on record.")


class HistoryRequest(BaseModel):
    """Customers scored from their transactions with the training feature code, as of a cutoff."""

    model_config = _REQUEST

    customers: list[CustomerHistory] = Field(min_length=1)
    as_of: Annotated[dt.date, Field(json_schema_extra={"pattern": DATE_PATTERN})] | None = Field(
        None,
        description=f"Cutoff of the features (a whole UTC day), a year in {FIRST_YEAR}..{LAST_YEAR}; default: "
        "today (UTC), and the answer's as_of_source says so. Transactions after it are left out of the "
        "features, as in batch scoring; the answer counts them in lines_after_as_of.",
    )

    @field_validator("as_of")
    @classmethod
    def _supported(cls, value: dt.date | None) -> dt.date | None:
        return None if value is None else within_years(value)


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
    lines_after_as_of: int = Field(0, ge=0, description="/score_history: transaction lines dated after as_of, "
                                   "left out of the features; 0 for /score.")


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
