"""Recency, tenure, frequency, monetary value and returns, per customer, from orders before the cutoff.

Purchases are orders with positive net value, returns orders with negative net value (see
`orders`). Definitions (days are whole UTC days, the cutoff day counts as day 0):

- recency_days: cutoff day - day of the last purchase (0 for a purchase on the cutoff day).
- tenure_days: cutoff day - day of the first purchase.
- orders: distinct purchase orders; two orders on one day count twice. repeat_orders = orders - 1.
- spend_total: net value of all orders (purchases minus returns); can be negative when returns
  of purchases made before the data starts outweigh later purchases.
- order_value_mean: spend_total / orders, i.e. net spend per purchase order.
- order_value_max: the largest single purchase order value (gross; returns are not matched to orders).
- returns: number of return orders. return_rate: returned value / purchased value (a value share,
  0 without returns; above 1 only when more is returned than was bought in the data).
"""

from __future__ import annotations

import ibis.expr.types as ir

from features.pipeline.ratios import safe_ratio

FEATURES: tuple[str, ...] = (
    "recency_days",
    "tenure_days",
    "orders",
    "repeat_orders",
    "spend_total",
    "order_value_mean",
    "order_value_max",
    "returns",
    "return_rate",
)


def aggregates(orders: ir.Table, as_of_day: int) -> dict[str, ir.Scalar]:
    """Per-customer reductions over `orders` (grouped by customer) named as in FEATURES."""
    purchase = orders.is_purchase
    purchases = orders.count(where=purchase)
    purchased_value = orders.value.sum(where=purchase)
    returned_value = (-orders.value).sum(where=orders.is_return).fill_null(0)
    return {
        "recency_days": as_of_day - orders.day.max(where=purchase),
        "tenure_days": as_of_day - orders.day.min(where=purchase),
        "orders": purchases,
        "repeat_orders": purchases - 1,
        "spend_total": orders.value.sum(),
        "order_value_mean": safe_ratio(orders.value.sum(), purchases),
        "order_value_max": orders.value.max(where=purchase),
        "returns": orders.count(where=orders.is_return),
        "return_rate": returned_value / purchased_value,
    }
