"""Order lines -> orders: the single aggregation every per-customer feature is computed from.

An order is one (customer_id, order_id) among the lines kept by the period filter. Its day and
month are those of its earliest line (UTC); its value is the net sum of its line amounts. An order
is a *purchase* when its value is positive and a *return* when negative; zero-value orders (free
items, an order cancelled within itself) are neither and no feature counts them. A customer whose
only orders are zero-value still exists: see `customer_status`. Lines of one
order that fall on both sides of a cutoff are split by it, so nothing after a cutoff leaks in.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from features.pipeline.dates import utc_calendar, utc_midnight


def lines_in_period(lines: ir.Table, start: dt.date | None, end: dt.date) -> ir.Table:
    """Lines with timestamp in [start 00:00 UTC, end 00:00 UTC); no lower bound when start is None."""
    kept = lines.timestamp < ibis.timestamp(utc_midnight(end))
    if start is not None:
        kept &= lines.timestamp >= ibis.timestamp(utc_midnight(start))
    return lines.filter(kept)


def orders_from_lines(lines: ir.Table) -> ir.Table:
    """One row per (customer_id, order_id) with day, month, value, lines, quantity and channel.

    `quantity` is null when no line of the order carries one; `channel` is the alphabetically
    first channel among the order's lines (orders normally have exactly one). Built with a plain
    select (not mutate + drop) so SQL engines see one shared subquery and aggregate lines once;
    day and month avoid per-row time-zone conversions (see `dates.utc_calendar`).
    """
    orders = lines.group_by(["customer_id", "order_id"]).aggregate(
        first_ts=lines.timestamp.min(),
        value=lines.amount.sum(),
        lines=lines.count(),
        quantity=lines.quantity.sum(),
        channel=lines.channel.min(),
    )
    return orders.select(
        "customer_id",
        "order_id",
        "value",
        "lines",
        "quantity",
        "channel",
        **utc_calendar(orders.first_ts, ibis.get_backend(lines).name),
        is_purchase=orders.value > 0,
        is_return=orders.value < 0,
    )


def purchasing_customers(orders: ir.Table) -> ir.Table:
    """The customer_id of every customer with at least one purchase order."""
    return orders.filter(orders.is_purchase).select("customer_id").distinct()


def customer_status(orders: ir.Table) -> ir.Table:
    """customer_id, `status` (see STATUSES) and `first_day` (of the first non-return order) of every
    customer with an order in `orders`."""
    per_customer = orders.group_by("customer_id").aggregate(
        purchases=orders.count(where=orders.is_purchase),
        zero_value=orders.count(where=orders.value == 0),
        first_day=orders.day.min(where=~orders.is_return),
    )
    status = ibis.cases(
        (per_customer.purchases > 0, "scored"),
        (per_customer.zero_value > 0, "no_paid_orders"),
        else_="returns_only",
    )
    return per_customer.select("customer_id", "first_day", status=status)


STATUSES: dict[str, str] = {
    "scored": "at least one purchase (an order of positive value): scored by the models",
    "no_paid_orders": "only zero-value orders: a purchase event for the count models (BG/NBD with "
                      "Gamma-Gamma score it as a one-time buyer since the first such order), segment "
                      "'no paid orders yet'",
    "returns_only": "only returns (of purchases made before the data starts): nothing to score from; "
                    "segment 'returns only', null scores",
}
"""The status of each customer known at a cutoff, as batch scoring and the API report it."""
