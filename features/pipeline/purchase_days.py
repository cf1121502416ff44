"""Purchase days: the per-customer day grid that inter-purchase gaps and BTYD summaries use.

Several purchase orders on one day make one purchase day (the convention of Fader & Hardie and of
lifetimes' summary_data_from_transaction_data with freq='D'), so same-day orders never produce a
zero gap. A purchase day's value is the summed net value of that day's purchase orders; return
orders are not purchases and do not create or reduce purchase days.
"""

from __future__ import annotations

import ibis.expr.types as ir


def purchase_days(orders: ir.Table) -> ir.Table:
    """One row per (customer_id, day) with at least one purchase order, with the day's `value`.

    Grouped from `orders` itself rather than a filtered copy, so the engine computes orders once
    for these days and for the per-customer order features.
    """
    purchase = orders.is_purchase
    days = orders.group_by(["customer_id", "day"]).aggregate(
        value=orders.value.sum(where=purchase),
        purchases=orders.count(where=purchase),
    )
    return days.filter(days.purchases > 0).select("customer_id", "day", "value")


def with_previous_day(days: ir.Table) -> ir.Table:
    """`days` plus `previous_day`, the customer's preceding purchase day (null on the first)."""
    return days.mutate(
        previous_day=days.day.lag().over(group_by="customer_id", order_by="day")
    )

