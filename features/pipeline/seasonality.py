"""Seasonality of a customer's purchases, to tell festive buyers from year-round ones.

A "festive" customer buys once or twice a year, in November-December, with large baskets: high
nov_dec_*_share, few active_months, month_concentration near 1 (read with order_value_mean).

- nov_dec_order_share: share of purchase orders placed in November or December (UTC).
- nov_dec_spend_share: share of purchased value (purchase orders only) placed in November-December.
- active_months: distinct calendar months (year and month) with a purchase.
- month_concentration: Herfindahl index of purchase orders over the 12 months of the year,
  sum over m of (orders in month m / orders)^2; 1 when every purchase falls in one month of the
  year (whatever the year), 1/12 when spread evenly.
"""

from __future__ import annotations

import functools
import operator

import ibis.expr.types as ir

from features.pipeline.ratios import safe_ratio

FESTIVE_MONTHS: tuple[int, ...] = (11, 12)
MONTHS_OF_YEAR = range(1, 13)

FEATURES: tuple[str, ...] = (
    "nov_dec_order_share",
    "nov_dec_spend_share",
    "active_months",
    "month_concentration",
)


def aggregates(orders: ir.Table) -> dict[str, ir.Scalar]:
    """Per-customer reductions over `orders` (grouped by customer) named as in FEATURES."""
    purchase = orders.is_purchase
    festive = purchase & orders.month.isin(FESTIVE_MONTHS)
    purchases = orders.count(where=purchase)
    squared_shares = [
        safe_ratio(orders.count(where=purchase & (orders.month == month)), purchases) ** 2
        for month in MONTHS_OF_YEAR
    ]
    return {
        "nov_dec_order_share": safe_ratio(orders.count(where=festive), purchases),
        "nov_dec_spend_share": orders.value.sum(where=festive).fill_null(0)
        / orders.value.sum(where=purchase),
        "active_months": orders.month_index.nunique(where=purchase),
        "month_concentration": functools.reduce(operator.add, squared_shares),
    }
