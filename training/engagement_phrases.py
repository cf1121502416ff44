"""Plain words for the engagement features (`features.pipeline.engagement`), one phrase per feature.

A feature of a family is NaN for a customer with no event of that family, so every phrase says
what "no data" means ("no email sent") rather than reading NaN as disengagement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.pipeline.engagement import (
    CART_DAYS,
    CONSENT_CHANNELS,
    FAMILIES,
    LAST_SENDS,
    SEND_DAYS,
    TICKET_DAYS,
    TREND_DAYS,
    WINDOW_DAYS,
)

Phrase = Callable[[pd.Series], str]

FAMILY_WORDS = {"web": "website or app visits", "email": "email activity", "service": "customer-service tickets",
                "feedback": "surveys or reviews"}
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "push": "push notifications"}


def _value(row: pd.Series, feature: str) -> float | None:
    value = row.get(feature)
    return None if value is None or pd.isna(value) or not np.isfinite(float(value)) else float(value)


def _either(feature: str, phrase: Callable[[float], str], missing: str) -> Phrase:
    """`phrase(value)` of `feature`, or `missing` when the customer has no event it is defined on."""
    def describe_value(row: pd.Series) -> str:
        value = _value(row, feature)
        return missing if value is None else phrase(value)
    return describe_value


def _count(n: float, one: str, many: str) -> str:
    return f"{n:,.0f} {one if round(n) == 1 else many}"


def _days_ago(days: float) -> str:
    return "today" if days == 0 else f"{_count(days, 'day', 'days')} ago"


def _trend(what: str) -> Callable[[float], str]:
    def words(change: float) -> str:
        if change == 0:
            return f"as many {what} in the last {TREND_DAYS} days as in the {TREND_DAYS} before"
        direction = "more" if change > 0 else "fewer"
        return f"{abs(change):,.0f} {direction} {what} in the last {TREND_DAYS} days than in the {TREND_DAYS} before"
    return words


def _last_open(row: pd.Series) -> str:
    """"opened no email in 60 days; 4 of the last 5 emails opened" (the rate when known)."""
    days = _value(row, "days_since_last_open")
    rate = _value(row, f"email_open_rate_last_{LAST_SENDS}")
    if days is None:
        return "never opened an email" if rate is not None else "no email opened or sent"
    text = "opened an email today" if days == 0 else f"opened no email in {_count(days, 'day', 'days')}"
    return text if rate is None else f"{text}; {_share_of_last(rate, 'opened')}"


def _share_of_last(rate: float, verb: str) -> str:
    return f"{rate:.0%} of the latest emails (up to {LAST_SENDS}) {verb}"


def _nps(score: float) -> str:
    kind = "a detractor" if score <= 6 else "a passive" if score <= 8 else "a promoter"
    return f"last NPS answer {score:.0f} of 10 ({kind})"


def _change(scale: str, points: str) -> Callable[[float], str]:
    def words(change: float) -> str:
        if change == 0:
            return f"{scale} unchanged since the answer before"
        return f"{scale} {'up' if change > 0 else 'down'} {abs(change):g} {points} since the answer before"
    return words


def _flag(feature: str, yes: str, no: str, missing: str) -> Phrase:
    return _either(feature, lambda v: yes if v >= 0.5 else no, missing)


PHRASES: dict[str, Phrase] = {
    **{f"has_{family}_events": _flag(f"has_{family}_events", f"has {FAMILY_WORDS[family]} on record",
                                     f"no {FAMILY_WORDS[family]} on record", f"no {FAMILY_WORDS[family]} on record")
       for family in FAMILIES},
    "days_since_last_session": _either("days_since_last_session", lambda v: f"last visit {_days_ago(v)}",
                                       "no visit recorded"),
    **{f"sessions_{d}d": _either(f"sessions_{d}d", lambda v, d=d: f"{_count(v, 'visit', 'visits')} in the last "
                                 f"{d} days", "no visit recorded") for d in WINDOW_DAYS},
    **{f"product_views_{d}d": _either(f"product_views_{d}d", lambda v, d=d: f"{_count(v, 'product view', 'product views')}"
                                      f" in the last {d} days", "no visit recorded") for d in WINDOW_DAYS},
    f"sessions_trend_{TREND_DAYS}d": _either(f"sessions_trend_{TREND_DAYS}d", _trend("visits"), "no visit recorded"),
    f"product_views_trend_{TREND_DAYS}d": _either(f"product_views_trend_{TREND_DAYS}d", _trend("product views"),
                                                  "no visit recorded"),
    f"carts_without_order_{CART_DAYS}d": _either(
        f"carts_without_order_{CART_DAYS}d",
        lambda v: (f"{_count(v, 'cart', 'carts')} filled without an order in the last {CART_DAYS} days" if v
                   else f"no cart left without an order in the last {CART_DAYS} days"),
        "no visit recorded"),
    "days_since_last_open": _last_open,
    "days_since_last_click": _either("days_since_last_click", lambda v: f"last clicked an email {_days_ago(v)}",
                                     "never clicked an email"),
    f"email_sends_{SEND_DAYS}d": _either(f"email_sends_{SEND_DAYS}d", lambda v: f"{_count(v, 'email', 'emails')} "
                                         f"received in the last {SEND_DAYS} days", "no email sent"),
    f"email_open_rate_last_{LAST_SENDS}": _either(f"email_open_rate_last_{LAST_SENDS}",
                                                  lambda v: _share_of_last(v, "opened"), "no email sent"),
    f"email_click_rate_last_{LAST_SENDS}": _either(f"email_click_rate_last_{LAST_SENDS}",
                                                   lambda v: _share_of_last(v, "clicked"), "no email sent"),
    "email_bounced": _flag("email_bounced", "the last email bounced", "emails reach them", "no email sent"),
    "days_since_unsubscribe": _either("days_since_unsubscribe", lambda v: f"unsubscribed {_days_ago(v)}",
                                      "never unsubscribed"),
    **{f"consent_{channel}": _flag(f"consent_{channel}", f"may be contacted by {CHANNEL_WORDS[channel]}",
                                   f"unsubscribed from {CHANNEL_WORDS[channel]}",
                                   f"no {CHANNEL_WORDS[channel]} contact on record") for channel in CONSENT_CHANNELS},
    f"tickets_{TICKET_DAYS}d": _either(f"tickets_{TICKET_DAYS}d", lambda v: f"{_count(v, 'service ticket', 'service tickets')}"
                                       f" in the last {TICKET_DAYS} days", "no service ticket"),
    "last_ticket_unresolved": _flag("last_ticket_unresolved", "the last service ticket is still unresolved",
                                    "the last service ticket was resolved", "no service ticket"),
    "last_nps": _either("last_nps", _nps, "no NPS answer"),
    "nps_change": _either("nps_change", _change("NPS", "points"), "fewer than two NPS answers"),
    "last_csat": _either("last_csat", lambda v: f"last satisfaction score {v:g} of 5", "no satisfaction survey answer"),
    "csat_change": _either("csat_change", _change("satisfaction", "points"), "fewer than two satisfaction answers"),
    "reviews": _either("reviews", lambda v: f"wrote {_count(v, 'review', 'reviews')}", "no review"),
    "review_rating_mean": _either("review_rating_mean", lambda v: f"reviews rated {v:.1f} on average", "no review"),
}
