"""Recent activity in trailing windows of 30, 90, 180 and 365 days, and its 90-day trend.

A window of N days ending at the cutoff holds the orders whose day is within the last N days,
the cutoff day included (cutoff day - N < day <= cutoff day).

- orders_{N}d: purchase orders in the window (0 when none).
- spend_{N}d: net value of all orders in the window, returns included (0 when none).
- orders_trend_90d, spend_trend_90d: the last 90 days minus the 90 days before them
  (cutoff - 180 < day <= cutoff - 90); positive means the customer is accelerating. A difference,
  not a ratio, so it stays defined when the earlier window is empty.
"""

from __future__ import annotations

import ibis.expr.types as ir

WINDOW_DAYS: tuple[int, ...] = (30, 90, 180, 365)
TREND_DAYS = 90

FEATURES: tuple[str, ...] = (
    *(f"orders_{days}d" for days in WINDOW_DAYS),
    *(f"spend_{days}d" for days in WINDOW_DAYS),
    f"orders_trend_{TREND_DAYS}d",
    f"spend_trend_{TREND_DAYS}d",
)


def aggregates(orders: ir.Table, as_of_day: int) -> dict[str, ir.Scalar]:
    """Per-customer reductions over `orders` (grouped by customer) named as in FEATURES."""
    out: dict[str, ir.Scalar] = {}
    for days in WINDOW_DAYS:
        out[f"orders_{days}d"] = _purchases_between(orders, as_of_day - days, as_of_day)
    for days in WINDOW_DAYS:
        out[f"spend_{days}d"] = _spend_between(orders, as_of_day - days, as_of_day)
    recent, earlier = as_of_day - TREND_DAYS, as_of_day - 2 * TREND_DAYS
    out[f"orders_trend_{TREND_DAYS}d"] = _purchases_between(
        orders, recent, as_of_day
    ) - _purchases_between(orders, earlier, recent)
    out[f"spend_trend_{TREND_DAYS}d"] = _spend_between(
        orders, recent, as_of_day
    ) - _spend_between(orders, earlier, recent)
    return out


def _purchases_between(orders: ir.Table, after_day: int, last_day: int) -> ir.Scalar:
    return orders.count(where=orders.is_purchase & _between(orders, after_day, last_day))


def _spend_between(orders: ir.Table, after_day: int, last_day: int) -> ir.Scalar:
    return orders.value.sum(where=_between(orders, after_day, last_day)).fill_null(0)


def _between(orders: ir.Table, after_day: int, last_day: int) -> ir.BooleanColumn:
    return (orders.day > after_day) & (orders.day <= last_day)
