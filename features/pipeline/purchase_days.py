"""Purchase days: the per-customer day grid that inter-purchase gaps and BTYD summaries use.

Several purchase orders on one day make one purchase day (the convention of Fader & Hardie and of
lifetimes' summary_data_from_transaction_data with freq='D'), so same-day orders never produce a
zero gap. A purchase day's value is the summed net value of that day's purchase orders; return
orders are not purchases and do not create or reduce purchase days.
"""

from __future__ import annotations

import ibis.expr.types as ir


def purchase_days(orders: ir.Table) -> ir.Table:
    """One row per (customer_id, day) with at least one purchase order, with the day's `value`."""
    purchases = orders.filter(orders.is_purchase)
    return purchases.group_by(["customer_id", "day"]).aggregate(value=purchases.value.sum())


def with_previous_day(days: ir.Table) -> ir.Table:
    """`days` plus `previous_day`, the customer's preceding purchase day (null on the first)."""
    return days.mutate(
        previous_day=days.day.lag().over(group_by="customer_id", order_by="day")
    )

