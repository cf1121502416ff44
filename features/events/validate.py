"""Row-level validation of events: every raw row becomes a canonical event or a quarantined row.

The same checks and quarantine format as transactions (features/ingest/validate.py), in a fixed
order so that the first failing check names the row's reason and counts add up; then the checks
only events have: the event type and its vocabulary, scores on their scale, properties.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from features.events.identity import Identity, assign_customers
from features.events.mapping import EventMapping
from features.events.schema import (
    CUSTOM_PREFIX,
    DEFAULT_CHANNEL,
    REVIEW_SCALE,
    SURVEY_SCALES,
    is_event_type,
    to_canonical_events,
)
from features.identity.normalize import normalize_email, normalize_phone
from features.ingest.readers import BOOKKEEPING
from features.ingest.text import clean_text, integral_float_text
from features.ingest.timestamps import read_timestamps
from features.ingest.validate import (
    Verdicts,
    flag_bad_ids,
    is_blank,
    parse_numbers,
    quarantine_frame,
    require_columns,
    timestamp_hint,
)

REASONS: dict[str, str] = {
    "missing_customer_key": "no customer key: customer id, source customer id, email and phone are all empty",
    "invalid_customer_id": "the customer id holds a control character or is longer than rules.max_id_length",
    "invalid_source_customer_id": "the source customer id holds a control character or is too long",
    "invalid_email": "the email, the row's only key, is not shaped like an address",
    "invalid_phone": "the phone, the row's only key, is not a valid number (rules.default_country)",
    "ambiguous_contact": "the email or phone, the row's only key, belongs to several unified customers",
    "missing_timestamp": "the timestamp is empty",
    "unparseable_timestamp": "the timestamp cannot be read (with the mapping's format or unit, if given)",
    "timestamp_before_floor": "the timestamp is before rules.min_timestamp",
    "timestamp_in_future": "the timestamp is after the time of the run",
    "missing_event_type": "the event type is empty",
    "unknown_event_type": "the event type is neither in [event_types] nor in the vocabulary "
                          "(and rules.unknown_event_types = 'quarantine')",
    "invalid_campaign_id": "the campaign id holds a control character or is too long",
    "invalid_product_id": "the product id holds a control character or is too long",
    "non_numeric_value": "the value is not a finite number",
    "missing_score": "a survey response or review without a score in value",
    "unknown_survey": "a survey response whose properties.survey is neither 'nps' nor 'csat'",
    "score_out_of_range": "the score is outside its scale (NPS 0-10, CSAT 1-5, review rating 1-5)",
    "invalid_properties": "the properties column is not a JSON object",
    "exact_duplicate": "the row repeats an earlier row exactly (the first copy is kept)",
}


@dataclass(frozen=True)
class EventValidation:
    """Accepted canonical events, quarantined rows, and how each accepted event was keyed."""

    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    keyed_by: pd.Series
    timestamp_formats: dict[str, int] = field(default_factory=dict)
    custom_types: dict[str, int] = field(default_factory=dict)


def validate_events(raw: pd.DataFrame, mapping: EventMapping, *, now: pd.Timestamp,
                    identity: Identity | None = None) -> EventValidation:
    """Validate `raw` (from readers.read_source) against `mapping`, keying rows by `identity`."""
    columns = mapping.present_columns(raw.columns)
    source_columns = [c for c in raw.columns if c not in BOOKKEEPING]
    require_columns(raw, columns, mapping)
    verdicts = Verdicts(raw.index)

    def text(name: str) -> pd.Series:
        if name in columns:
            return clean_text(raw[columns[name]])
        if name in mapping.constants:
            return pd.Series(mapping.constants[name], index=raw.index, dtype="string")
        return pd.Series(pd.NA, index=raw.index, dtype="string")

    def shown(name: str, said: str) -> Callable[[pd.Series], pd.Series]:
        def detail(rows: pd.Series) -> pd.Series:
            return "value '" + raw.loc[rows, columns[name]].astype("string").fillna("") + "'" + said
        return detail

    given = integral_float_text(text("customer_id"))
    source_id = integral_float_text(text("source_customer_id"))
    email_text, phone_text = text("email"), text("phone")
    email = normalize_email(email_text).astype("string") if "email" in columns else email_text
    phone = (normalize_phone(phone_text, default_country=mapping.rules.default_country).astype("string")
             if "phone" in columns else phone_text)
    other_key = given.notna() | source_id.notna()
    verdicts.flag(~other_key & email_text.isna() & phone_text.isna(), "missing_customer_key", "customer_id",
                  REASONS["missing_customer_key"])
    flag_bad_ids(given, "customer_id", mapping, verdicts)
    flag_bad_ids(source_id, "source_customer_id", mapping, verdicts)
    verdicts.flag(~other_key & email_text.notna() & email.isna() & phone.isna(), "invalid_email", "email",
                  shown("email", " is not an email address") if "email" in columns else REASONS["invalid_email"])
    verdicts.flag(~other_key & email.isna() & phone_text.notna() & phone.isna(), "invalid_phone", "phone",
                  shown("phone", f" is not a valid phone number (read in {mapping.rules.default_country})")
                  if "phone" in columns else REASONS["invalid_phone"])

    timestamp, formats = _timestamps(raw, columns, mapping, verdicts, shown, now)
    event_type, custom = _event_types(raw, columns, mapping, text("event_type"), verdicts, shown)
    for name in ("campaign_id", "product_id"):
        flag_bad_ids(text(name), name, mapping, verdicts)
    properties = _properties(raw, mapping, verdicts)
    value = _scores(raw, columns, mapping, event_type, properties, verdicts, shown)

    keyed = assign_customers(pd.DataFrame({"customer_id": given, "source": text("source"),
                                           "source_customer_id": source_id, "email": email,
                                           "phone": phone}), identity)
    verdicts.flag(keyed["ambiguous"], "ambiguous_contact", "email" if "email" in columns else "phone",
                  REASONS["ambiguous_contact"])
    if mapping.rules.duplicates == "quarantine":
        verdicts.flag(raw[source_columns].duplicated(keep="first"), "exact_duplicate", "*",
                      REASONS["exact_duplicate"])

    channel = text("channel").str.lower()
    channel = channel.map(lambda c: mapping.translated_channels().get(c, c) if isinstance(c, str) else c)
    channel = channel.astype("string").fillna(event_type.map(DEFAULT_CHANNEL).astype("string")).fillna("other")
    canonical = pd.DataFrame({
        "customer_id": keyed["customer_id"], "timestamp": timestamp, "event_type": event_type,
        "channel": channel, "campaign_id": text("campaign_id"), "product_id": text("product_id"),
        "value": value, "properties": properties.map(_json_text).astype("string"),
        "source": keyed["source"], "source_customer_id": keyed["source_customer_id"],
    })
    ok = verdicts.ok.to_numpy()
    accepted = to_canonical_events(canonical[ok])
    quarantine = quarantine_frame(raw[~ok], source_columns, verdicts, ~verdicts.ok)
    kept_custom = event_type[ok]
    kept_custom = kept_custom[kept_custom.str.startswith(CUSTOM_PREFIX).fillna(False)]
    return EventValidation(accepted, quarantine, keyed["keyed_by"][ok].reset_index(drop=True), formats,
                           {k: int(v) for k, v in kept_custom.value_counts().sort_index().items()}
                           if custom else {})


def _timestamps(raw, columns, mapping, verdicts, shown, now) -> tuple[pd.Series, dict[str, int]]:
    ts_raw = raw[columns["timestamp"]]
    parsed = read_timestamps(ts_raw, mapping.parse)
    stamp = parsed.values
    verdicts.flag(is_blank(ts_raw), "missing_timestamp", "timestamp", REASONS["missing_timestamp"])
    verdicts.flag(stamp.isna(), "unparseable_timestamp", "timestamp",
                  shown("timestamp", timestamp_hint(ts_raw, stamp.isna(), mapping.parse)))
    floor = pd.Timestamp(mapping.rules.min_timestamp, tz="UTC")
    verdicts.flag(stamp < floor, "timestamp_before_floor", "timestamp", shown("timestamp", f" is before {floor.date()}"))
    verdicts.flag(stamp > now, "timestamp_in_future", "timestamp", shown("timestamp", f" is after {now.isoformat()}"))
    return stamp, parsed.formats


def _event_types(raw, columns, mapping, names, verdicts, shown) -> tuple[pd.Series, bool]:
    """Canonical event types: [event_types] first, then the vocabulary, then custom:NAME if allowed."""
    folded = names.str.strip().str.lower()
    translated = folded.map(mapping.translated_event_types()).astype("string")
    known = folded.where(is_event_type(folded))
    event_type = translated.fillna(known)
    verdicts.flag(names.isna(), "missing_event_type", "event_type", REASONS["missing_event_type"])
    custom = mapping.rules.unknown_event_types == "custom"
    unknown = event_type.isna() & names.notna()
    if custom:
        slug = folded.str.replace(r"[^a-z0-9_.\-]+", "_", regex=True).str.strip("_").str.slice(0, 64)
        event_type = event_type.fillna(CUSTOM_PREFIX + slug.where(slug != ""))
        unknown = event_type.isna() & names.notna()
    where = shown("event_type", " is neither in [event_types] nor in the event vocabulary (docs/events.md)") \
        if "event_type" in columns else REASONS["unknown_event_type"]
    verdicts.flag(unknown, "unknown_event_type", "event_type", where)
    return event_type, custom


def _properties(raw: pd.DataFrame, mapping: EventMapping, verdicts: Verdicts) -> pd.Series:
    """Per row, a dict of the packed columns and the JSON column (None where nothing is present)."""
    spec = mapping.columns
    packed = [c for c in spec.properties if c in raw.columns]
    for prefix in spec.properties_prefixes:
        packed += [c for c in raw.columns if str(c).startswith(prefix) and c not in packed and c not in BOOKKEEPING]
    names = {c: next((str(c)[len(p):] for p in spec.properties_prefixes if str(c).startswith(p)), str(c))
             for c in packed}
    out = pd.Series([{} for _ in range(len(raw))], index=raw.index, dtype=object)
    if spec.properties_json is not None and spec.properties_json in raw.columns:
        column = clean_text(raw[spec.properties_json])
        parsed = column.map(_json_object, na_action="ignore")
        bad = column.notna() & parsed.isna()
        verdicts.flag(bad, "invalid_properties", "properties",
                      lambda rows: "value '" + column[rows].fillna("").str.slice(0, 80) + "' is not a JSON object")
        out = pd.Series([dict(p) if isinstance(p, dict) else {} for p in parsed], index=raw.index, dtype=object)
    for column in packed:
        values = raw[column]
        present = values.notna() & ~is_blank(values)
        key = names[column]
        for i in values.index[present.to_numpy()]:
            out[i][key] = _plain(values[i])
    return out.map(lambda d: d or None)


def _scores(raw, columns, mapping, event_type, properties, verdicts, shown) -> pd.Series:
    """The value column as numbers; survey answers and reviews must carry a score on their scale."""
    value = (parse_numbers(raw[columns["value"]], mapping.parse) if "value" in columns
             else pd.Series(float("nan"), index=raw.index))
    if "value" in columns:
        verdicts.flag(value.isna() & ~is_blank(raw[columns["value"]]), "non_numeric_value", "value",
                      shown("value", " is not a finite number"))
    scored = event_type.isin(["survey_response", "review"]).fillna(False).astype(bool)
    verdicts.flag(scored & value.isna(), "missing_score", "value", REASONS["missing_score"])
    survey = properties.map(lambda p: str(p.get("survey", "")).strip().lower() if isinstance(p, dict) else "")
    survey = survey.mask(survey == "", mapping.rules.default_survey)
    is_survey = event_type.eq("survey_response").fillna(False).astype(bool)
    verdicts.flag(is_survey & ~survey.isin(list(SURVEY_SCALES)), "unknown_survey", "properties",
                  lambda rows: "survey '" + survey[rows].astype("string") + "' is neither 'nps' nor 'csat'")
    low = pd.Series(float("nan"), index=raw.index)
    high = low.copy()
    for name, (lo, hi) in SURVEY_SCALES.items():
        low[is_survey & survey.eq(name)] = lo
        high[is_survey & survey.eq(name)] = hi
    is_review = event_type.eq("review").fillna(False).astype(bool)
    low[is_review], high[is_review] = REVIEW_SCALE
    outside = (value < low) | (value > high)
    verdicts.flag(outside.fillna(False).astype(bool), "score_out_of_range", "value",
                  lambda rows: "score " + value[rows].map("{:g}".format).astype("string") + " is outside "
                  + low[rows].map("{:g}".format).astype("string") + "-" + high[rows].map("{:g}".format).astype("string"))
    for i in raw.index[(is_survey & survey.isin(list(SURVEY_SCALES))).to_numpy()]:
        properties[i] = {**(properties[i] or {}), "survey": survey[i]}
    return value


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _plain(value):
    """A JSON-ready scalar: numpy numbers as Python numbers, timestamps as ISO text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _json_text(value) -> str | None:
    return None if not value else json.dumps(value, sort_keys=True, ensure_ascii=False)
