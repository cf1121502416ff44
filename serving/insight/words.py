"""Plain words for the report: labels for columns, rules rewritten for people, numbers formatted.

One place for every word a marketer reads instead of a column name, and for how counts, money,
percentages and days are written (thousands separators, a currency sign, one decimal).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from features.pipeline.channels import PREFIX as SHARE_PREFIX
from features.pipeline.shifts import LAST_CHANNEL_PREFIX, RECENT_CHANNEL_PREFIX

LABELS: dict[str, str] = {
    "recency_days": "days since the last order",
    "tenure_days": "days since the first order",
    "orders": "orders",
    "repeat_orders": "repeat orders",
    "spend_total": "spend to date",
    "order_value_mean": "average order value",
    "order_value_max": "largest order",
    "returns": "returns",
    "return_rate": "share of value returned",
    "returns_90d": "returns in the last 90 days",
    "gap_mean_days": "average days between orders",
    "gap_median_days": "typical days between orders",
    "gap_first_days": "days to the second order",
    "gap_std_days": "variation of the days between orders",
    "gap_last_days": "days between the last two orders",
    "overdue_ratio": "lateness against the usual rhythm",
    "orders_30d": "orders in the last 30 days",
    "orders_90d": "orders in the last 90 days",
    "orders_180d": "orders in the last 180 days",
    "orders_365d": "orders in the last 12 months",
    "spend_30d": "spend in the last 30 days",
    "spend_90d": "spend in the last 90 days",
    "spend_180d": "spend in the last 180 days",
    "spend_365d": "spend in the last 12 months",
    "spend_prev_90d": "spend in the 90 days before the last 90",
    "orders_trend_90d": "change in orders (last 90 days against the 90 before)",
    "spend_trend_90d": "change in spend (last 90 days against the 90 before)",
    "nov_dec_order_share": "share of orders in November-December",
    "nov_dec_spend_share": "share of spend in November-December",
    "active_months": "months with an order",
    "month_concentration": "how concentrated orders are in a few months",
    "distinct_products": "different products bought",
    "distinct_categories": "different categories bought",
    "lines_per_order_mean": "lines per order",
    "quantity_per_order_mean": "items per order",
    "btyd_frequency": "repeat purchase days",
    "btyd_recency": "days between the first and the last order",
    "btyd_T": "age as a customer, in purchase days",
    "btyd_monetary": "average value of a repeat purchase day",
    "order_value_ratio_90d": "recent order value against the usual",
    "orders_decayed_90d": "recent order rate",
    "days_since_return": "days since the last return",
    "channel_shift_90d": "change of channel in the last 90 days",
    "last_day_value_ratio": "value of the last purchase day against the usual",
    "distinct_categories_180d": "categories bought in the last 180 days",
    "categories_180d_share": "share of categories still bought",
    "churn_probability": "chance of leaving",
    "predicted_clv": "predicted value",
    "expected_orders": "expected orders",
    "p_purchase_30d": "chance of an order within 30 days",
    "p_purchase_90d": "chance of an order within 90 days",
    "clv_percentile": "predicted-value rank",
    "past_value_percentile": "past-value rank",
    "segment_name": "segment",
    "as_of_month": "month of the scoring",
    "tenure": "time as a customer",
}
"""Column -> words. Columns not listed are written with their underscores as spaces."""

_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_OPERATORS = (("<=", "≤"), (">=", "≥"), ("<>", "≠"), ("!=", "≠"))
_KEYWORDS = {"AND": "and", "OR": "or", "NOT": "not", "BETWEEN": "between", "IN": "in", "IS": "is", "NULL": "empty"}


def label(column: str, channels: Mapping[str, str] | None = None) -> str:
    """The words for `column`: its entry in LABELS, a channel's name (from `channels`, slug -> name
    as in the data, else the slug with spaces), else the name with spaces."""
    if column in LABELS:
        return LABELS[column]
    for prefix, words in ((SHARE_PREFIX, "share of orders via "), (RECENT_CHANNEL_PREFIX, "recent share via "),
                          (LAST_CHANNEL_PREFIX, "last order via ")):
        if column.startswith(prefix):
            slug = column.removeprefix(prefix)
            return words + (channels or {}).get(slug, slug.replace("_", " "))
    return column.replace("_", " ")


def plain(text: str) -> str:
    """`text` with every column name replaced by its words (segment names, rules, reasons)."""
    return _IDENTIFIER.sub(lambda m: label(m.group(0)), text)


def rule_in_words(rule: str) -> str:
    """An audience's SQL condition in words: column names, comparison signs and keywords."""
    text = plain(rule)
    for sql, sign in _OPERATORS:
        text = text.replace(sql, sign)
    return re.sub(r"\b(AND|OR|NOT|BETWEEN|IN|IS|NULL)\b", lambda m: _KEYWORDS[m.group(1)], text)


def count(value: float | int | None) -> str:
    """A count with thousands separators: 23,570."""
    return "–" if _missing(value) else f"{round(float(value)):,}"


def money(value: float | None, currency: str = "$", decimals: int = 0) -> str:
    """An amount with its currency sign and thousands separators: $1,234 (−$56 when negative)."""
    if _missing(value):
        return "–"
    sign = "−" if value < 0 else ""
    return f"{sign}{currency}{abs(value):,.{decimals}f}"


def percent(share: float | None, decimals: int = 1) -> str:
    """A share in (0, 1) as a percentage: 0.1234 -> 12.3 %."""
    return "–" if _missing(share) else f"{100 * share:.{decimals}f} %"


def days(value: float | None) -> str:
    """A number of days, rounded: 1 day, 45 days."""
    if _missing(value):
        return "–"
    whole = round(float(value))
    return f"{whole:,} day" + ("" if whole == 1 else "s")


def number(value: float | None, decimals: int = 1) -> str:
    """A plain number with thousands separators and `decimals` decimals."""
    return "–" if _missing(value) else f"{value:,.{decimals}f}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
