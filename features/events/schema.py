"""The canonical event table: engagement from every channel, keyed by the unified customer.

One row per event: a web or app session, a product view, an email sent or opened, a ticket, a
survey answer, a review. Stored as Parquet (`events.parquet`) in its own directory beside the
transactions. The vocabulary of `event_type` is EVENT_TYPES plus any `custom:NAME`.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa

EVENT_TYPES: dict[str, str] = {
    "session": "a visit to the web shop or a session in the app",
    "page_view": "a page or screen seen",
    "product_view": "a product page seen (product_id when known)",
    "add_to_cart": "a product put in the basket",
    "email_sent": "a marketing email delivered to the customer (campaign_id when known)",
    "email_open": "an email opened",
    "email_click": "a link in an email clicked",
    "email_bounce": "an email that could not be delivered",
    "unsubscribe": "the customer withdrew consent for the event's channel (email, sms, push)",
    "sms_sent": "a text message sent",
    "sms_click": "a link in a text message clicked",
    "push_open": "a push notification opened",
    "ticket_opened": "a customer-service ticket opened (properties.ticket_id pairs it with its resolution)",
    "ticket_resolved": "a customer-service ticket closed as resolved",
    "survey_response": "a satisfaction survey answer: value is the score, properties.survey says "
                       "'nps' (0-10) or 'csat' (1-5)",
    "review": "a product review: value is the rating (1-5)",
}
"""Event types with their meaning; `custom:NAME` (lower-case letters, digits, _ . -) adds more."""

CUSTOM_PREFIX = "custom:"
CUSTOM_NAME = re.compile(r"^custom:[a-z0-9][a-z0-9_.\-]{0,63}$")

DEFAULT_CHANNEL: dict[str, str] = {
    "email_sent": "email", "email_open": "email", "email_click": "email", "email_bounce": "email",
    "sms_sent": "sms", "sms_click": "sms", "push_open": "push",
    "session": "web", "page_view": "web", "product_view": "web", "add_to_cart": "web",
    "ticket_opened": "service", "ticket_resolved": "service", "survey_response": "survey",
    "review": "web",
}
"""The channel an event has when the source gives none."""

SURVEY_SCALES: dict[str, tuple[float, float]] = {"nps": (0.0, 10.0), "csat": (1.0, 5.0)}
REVIEW_SCALE: tuple[float, float] = (1.0, 5.0)

EVENT_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string()),
        pa.field("product_id", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("properties", pa.string()),
        pa.field("source", pa.string()),
        pa.field("source_customer_id", pa.string()),
    ]
)
"""`properties` is a JSON object as text; `source`/`source_customer_id` keep the key the source
gave (a system's id, or `email`/`phone` and the normalised address) after re-keying."""

EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)
REQUIRED_EVENT_COLUMNS: tuple[str, ...] = ("customer_id", "timestamp", "event_type", "channel")
EVENTS_FILE = "events.parquet"


def is_event_type(values: pd.Series) -> pd.Series:
    """True where a value is in the vocabulary (a known type or a well-formed custom:NAME)."""
    text = values.astype("string")
    return (text.isin(list(EVENT_TYPES)) | text.str.match(CUSTOM_NAME.pattern)).fillna(False).astype(bool)


def to_canonical_events(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with exactly the event columns, in order, with canonical dtypes (absent optional
    columns all-null). Raises ValueError naming the first missing required column."""
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"events lack required column '{missing[0]}' "
                         f"(required: {', '.join(REQUIRED_EVENT_COLUMNS)})")
    out = pd.DataFrame(index=df.index)
    for field in EVENT_SCHEMA:
        name = field.name
        col = df[name] if name in df.columns else pd.Series(None, index=df.index, dtype="object")
        if pa.types.is_string(field.type):
            out[name] = col.astype("string")
        elif pa.types.is_timestamp(field.type):
            out[name] = pd.to_datetime(col, utc=True).astype("datetime64[us, UTC]")
        else:
            out[name] = pd.to_numeric(col).astype("float64")
    return out.reset_index(drop=True)


def events_to_arrow(df: pd.DataFrame) -> pa.Table:
    """Canonical event frame -> Arrow table with the event schema (checks nullability too)."""
    return pa.Table.from_pandas(to_canonical_events(df), schema=EVENT_SCHEMA, preserve_index=False)
