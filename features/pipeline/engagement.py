"""Engagement features from events before the cutoff: visits, email response, consent, service,
satisfaction and reviews, per customer.

Events are read with timestamp < as_of + 1 day (00:00 UTC), as transaction lines are; days are
whole UTC days and a window of N days holds the events with cutoff day - N < day <= cutoff day.
Families: web (session, page_view, product_view, add_to_cart), email (email_*, and unsubscribes on
the email channel), service (ticket_*), feedback (survey_response, review). A feature of a family
is NaN for a customer with no event of that family (so "no data" never reads as "disengaged");
`has_<family>_events` (1/0) says which families a customer has.

- days_since_last_session: cutoff day - day of the last session; NaN without one.
- sessions_{7,30,90}d, product_views_{7,30,90}d: events in the window.
- sessions_trend_30d, product_views_trend_30d: the last 30 days minus the 30 days before them.
- carts_without_order_30d: add_to_cart events of the last 30 days on days after the customer's
  last purchase day (none when the purchase came later the same day or after).
- days_since_last_open, days_since_last_click: cutoff day - day of the last email open (an email
  click counts as an open) / click; NaN without one.
- email_sends_90d: emails sent in the last 90 days.
- email_open_rate_last_5, email_click_rate_last_5: of the customer's last 5 emails sent, the share
  opened (an open or click of the same campaign at or after the send) and clicked. Sends and opens
  without a campaign_id are paired by their UTC day. NaN without a send.
- email_bounced: 1 when the customer's latest delivery event (email_sent or email_bounce) is a
  bounce (a bounce at the send's instant counts), else 0; NaN without either.
- days_since_unsubscribe: cutoff day - day of the latest unsubscribe on any channel; NaN if none.
- consent_email, consent_sms, consent_push: 0 after an unsubscribe on that channel, 1 when the
  customer has events on the channel and no unsubscribe, NaN without events on it.
- tickets_90d: tickets opened in the last 90 days. last_ticket_unresolved: 1 when no
  ticket_resolved is at or after the latest ticket_opened, else 0; NaN without ticket events.
- last_nps, last_csat: the score of the latest survey answer on that scale (properties.survey
  "csat", else NPS); nps_change, csat_change: latest minus the one before; NaN without two.
- reviews: review count; review_rating_mean: their mean rating (NaN without a review).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from features.pipeline.dates import ONE_DAY, day_number, utc_calendar, utc_midnight
from features.pipeline.ratios import safe_ratio

WINDOW_DAYS: tuple[int, ...] = (7, 30, 90)
TREND_DAYS = 30
CART_DAYS = 30
SEND_DAYS = 90
TICKET_DAYS = 90
LAST_SENDS = 5
CONSENT_CHANNELS: tuple[str, ...] = ("email", "sms", "push")

FAMILIES: dict[str, tuple[str, ...]] = {
    "web": ("session", "page_view", "product_view", "add_to_cart"),
    "email": ("email_sent", "email_open", "email_click", "email_bounce"),
    "service": ("ticket_opened", "ticket_resolved"),
    "feedback": ("survey_response", "review"),
}
INDICATORS: tuple[str, ...] = tuple(f"has_{family}_events" for family in FAMILIES)
CSAT_PATTERN = r'"survey"\s*:\s*"csat"'

FEATURES: tuple[str, ...] = (
    *INDICATORS,
    "days_since_last_session",
    *(f"sessions_{d}d" for d in WINDOW_DAYS),
    f"sessions_trend_{TREND_DAYS}d",
    *(f"product_views_{d}d" for d in WINDOW_DAYS),
    f"product_views_trend_{TREND_DAYS}d",
    f"carts_without_order_{CART_DAYS}d",
    "days_since_last_open",
    "days_since_last_click",
    f"email_sends_{SEND_DAYS}d",
    f"email_open_rate_last_{LAST_SENDS}",
    f"email_click_rate_last_{LAST_SENDS}",
    "email_bounced",
    "days_since_unsubscribe",
    *(f"consent_{channel}" for channel in CONSENT_CHANNELS),
    f"tickets_{TICKET_DAYS}d",
    "last_ticket_unresolved",
    "last_nps",
    "nps_change",
    "last_csat",
    "csat_change",
    "reviews",
    "review_rating_mean",
)


def events_before(events: ir.Table, as_of: dt.date) -> ir.Table:
    """Events before the end of the cutoff day, with their UTC `day`."""
    kept = events.filter(events.timestamp < ibis.timestamp(utc_midnight(as_of + ONE_DAY)))
    day = utc_calendar(kept.timestamp, ibis.get_backend(events).name)["day"]
    return kept.select("customer_id", "timestamp", "event_type", "channel", "campaign_id", "value",
                       "properties", day=day)


def engagement_table(events: ir.Table, orders: ir.Table, as_of: dt.date) -> ir.Table:
    """customer_id and FEATURES for every customer with an event before the cutoff; `orders` are
    the orders before the cutoff (for carts without an order)."""
    as_of_day = day_number(as_of)
    history = events_before(events, as_of)
    per_customer = history.group_by("customer_id").aggregate(**_aggregates(history, as_of_day))
    last_purchase = orders.group_by("customer_id").aggregate(
        last_purchase_day=orders.day.max(where=orders.is_purchase))
    carts = history.filter((history.event_type == "add_to_cart") & _within(history, as_of_day, CART_DAYS))
    carts = carts.left_join(last_purchase, "customer_id")
    carts = carts.group_by("customer_id").aggregate(
        carts=carts.count(where=carts.day > carts.last_purchase_day.fill_null(-1)))
    sends, surveys = _last_sends(history), _surveys(history)
    key = per_customer.customer_id
    joined = (per_customer.left_join(carts, key == carts.customer_id, rname="{name}_carts")
              .left_join(sends, key == sends.customer_id, rname="{name}_sends")
              .left_join(surveys, key == surveys.customer_id, rname="{name}_surveys"))
    return joined.select("customer_id", **_features(joined, as_of_day))


def _within(events: ir.Table, as_of_day: int, days: int, offset: int = 0) -> ir.BooleanColumn:
    return (events.day > as_of_day - offset - days) & (events.day <= as_of_day - offset)


def _aggregates(ev: ir.Table, as_of_day: int) -> dict[str, ir.Scalar]:
    kind = ev.event_type
    email_channel = ev.channel == "email"
    out: dict[str, ir.Scalar] = {f"n_{family}": ev.count(where=kind.isin(list(types)))
                                 for family, types in FAMILIES.items() if family != "email"}
    out["n_email"] = ev.count(where=kind.isin(list(FAMILIES["email"])) | (email_channel & (kind == "unsubscribe")))
    for name, event_type in (("sessions", "session"), ("product_views", "product_view")):
        of_type = kind == event_type
        for days in WINDOW_DAYS:
            out[f"{name}_{days}d"] = ev.count(where=of_type & _within(ev, as_of_day, days))
        out[f"{name}_before"] = ev.count(where=of_type & _within(ev, as_of_day, TREND_DAYS, TREND_DAYS))
    opened = kind.isin(["email_open", "email_click"])
    out |= {
        "last_session_day": ev.day.max(where=kind == "session"),
        "last_open_day": ev.day.max(where=opened),
        "last_click_day": ev.day.max(where=kind == "email_click"),
        "sends_recent": ev.count(where=(kind == "email_sent") & _within(ev, as_of_day, SEND_DAYS)),
        "last_sent_at": ev.timestamp.max(where=kind == "email_sent"),
        "last_bounce_at": ev.timestamp.max(where=kind == "email_bounce"),
        "last_unsubscribe_day": ev.day.max(where=kind == "unsubscribe"),
        "tickets_recent": ev.count(where=(kind == "ticket_opened") & _within(ev, as_of_day, TICKET_DAYS)),
        "last_ticket_at": ev.timestamp.max(where=kind == "ticket_opened"),
        "last_resolved_at": ev.timestamp.max(where=kind == "ticket_resolved"),
        "n_reviews": ev.count(where=kind == "review"),
        "rating_mean": ev.value.mean(where=kind == "review"),
    }
    for channel in CONSENT_CHANNELS:
        on_channel = ev.channel == channel
        out[f"on_{channel}"] = ev.count(where=on_channel)
        out[f"unsubscribed_{channel}"] = ev.count(where=on_channel & (kind == "unsubscribe"))
    return out


def _last_sends(ev: ir.Table) -> ir.Table:
    """Per customer: the last LAST_SENDS emails sent, and how many were opened and clicked."""
    key = ev.campaign_id.fill_null("day:" + ev.day.cast("string"))
    keyed = ev.mutate(key=key)
    sends = keyed.filter(keyed.event_type == "email_sent")
    order = ibis.window(group_by="customer_id", order_by=[ibis.desc(sends.timestamp), ibis.desc(sends.key)])
    sends = sends.mutate(rank=ibis.row_number().over(order))
    sends = sends.filter(sends.rank < LAST_SENDS).select("customer_id", "key", sent_at=sends.timestamp)
    responses = keyed.filter(keyed.event_type.isin(["email_open", "email_click"]))
    responses = responses.group_by(["customer_id", "key"]).aggregate(
        opened_at=responses.timestamp.max(),
        clicked_at=responses.timestamp.max(where=responses.event_type == "email_click"),
    )
    paired = sends.left_join(responses, ["customer_id", "key"])
    return paired.group_by("customer_id").aggregate(
        last_sends=paired.count(),
        last_opened=paired.count(where=(paired.opened_at >= paired.sent_at).fill_null(False)),
        last_clicked=paired.count(where=(paired.clicked_at >= paired.sent_at).fill_null(False)),
    )


def _surveys(ev: ir.Table) -> ir.Table:
    """Per customer: the latest and the previous NPS and CSAT scores."""
    answers = ev.filter(ev.event_type == "survey_response")
    answers = answers.mutate(scale=ibis.ifelse(answers.properties.fill_null("").re_search(CSAT_PATTERN),
                                               "csat", "nps"))
    order = ibis.window(group_by=["customer_id", "scale"],
                        order_by=[ibis.desc(answers.timestamp), ibis.desc(answers.value)])
    answers = answers.mutate(rank=ibis.row_number().over(order))
    out = {}
    for scale in ("nps", "csat"):
        for rank, name in ((0, "last"), (1, "previous")):
            out[f"{name}_{scale}"] = answers.value.max(where=(answers.scale == scale) & (answers.rank == rank))
    return answers.group_by("customer_id").aggregate(**out)


def _features(t: ir.Table, as_of_day: int) -> dict[str, ir.Value]:
    def when(family: str, value: ir.Value) -> ir.Value:
        return ibis.ifelse(t[f"n_{family}"] > 0, value, ibis.null("float64"))

    out: dict[str, ir.Value] = {f"has_{family}_events": (t[f"n_{family}"] > 0).cast("float64")
                                for family in FAMILIES}
    out["days_since_last_session"] = as_of_day - t.last_session_day
    for name in ("sessions", "product_views"):
        for days in WINDOW_DAYS:
            out[f"{name}_{days}d"] = when("web", t[f"{name}_{days}d"])
        out[f"{name}_trend_{TREND_DAYS}d"] = when("web", t[f"{name}_{TREND_DAYS}d"] - t[f"{name}_before"])
    out[f"carts_without_order_{CART_DAYS}d"] = when("web", t.carts.fill_null(0))
    out["days_since_last_open"] = as_of_day - t.last_open_day
    out["days_since_last_click"] = as_of_day - t.last_click_day
    out[f"email_sends_{SEND_DAYS}d"] = when("email", t.sends_recent)
    out[f"email_open_rate_last_{LAST_SENDS}"] = safe_ratio(t.last_opened, t.last_sends)
    out[f"email_click_rate_last_{LAST_SENDS}"] = safe_ratio(t.last_clicked, t.last_sends)
    bounced = t.last_bounce_at.notnull() & (t.last_sent_at.isnull() | (t.last_bounce_at >= t.last_sent_at))
    out["email_bounced"] = ibis.ifelse(t.last_sent_at.notnull() | t.last_bounce_at.notnull(),
                                       bounced.cast("float64"), ibis.null("float64"))
    out["days_since_unsubscribe"] = as_of_day - t.last_unsubscribe_day
    for channel in CONSENT_CHANNELS:
        out[f"consent_{channel}"] = ibis.ifelse(t[f"on_{channel}"] > 0,
                                                (t[f"unsubscribed_{channel}"] == 0).cast("float64"),
                                                ibis.null("float64"))
    out[f"tickets_{TICKET_DAYS}d"] = when("service", t.tickets_recent)
    unresolved = t.last_resolved_at.isnull() | (t.last_resolved_at < t.last_ticket_at)
    out["last_ticket_unresolved"] = ibis.ifelse(t.last_ticket_at.notnull(), unresolved.cast("float64"),
                                                ibis.null("float64"))
    for scale in ("nps", "csat"):
        out[f"last_{scale}"] = t[f"last_{scale}"]
        out[f"{scale}_change"] = t[f"last_{scale}"] - t[f"previous_{scale}"]
    out["reviews"] = when("feedback", t.n_reviews)
    out["review_rating_mean"] = t.rating_mean
    return {name: out[name].cast("float64") for name in FEATURES}
