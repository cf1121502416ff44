"""Outcome labels from the window (as_of, as_of + horizon_days], for the customers of a feature table.

The window holds lines with as_of + 1 day <= timestamp < as_of + horizon_days + 1 day (UTC), so
it starts exactly where the features stop. Purchases and returns are defined as for features.
All labels are float64:

- label_churned: 1.0 when the customer makes no purchase in the window, else 0.0 (a customer who
  only returns goods in the window counts as churned).
- label_orders: purchase orders in the window.
- label_spend: net value of all orders in the window (returns subtract; 0 without activity).
- label_days_to_next: days from as_of to the first purchase day in the window (1..horizon_days),
  censored at horizon_days when there is none; label_next_observed is 1.0 for an observed
  purchase, 0.0 for a censored one (the event flag survival models need).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.engine import resolve_backend
from features.pipeline.dates import ONE_DAY, as_cutoff_date, day_number, positive_days
from features.pipeline.orders import lines_in_period, orders_from_lines, purchasing_customers
from features.pipeline.source import Transactions, to_frame, transactions_table

LABEL_COLUMNS: tuple[str, ...] = (
    "label_churned",
    "label_orders",
    "label_spend",
    "label_days_to_next",
    "label_next_observed",
)


def build_labels(
    transactions: Transactions,
    as_of: dt.date | str,
    horizon_days: int,
    *,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
) -> pd.DataFrame:
    """customer_id and LABEL_COLUMNS for every customer build_features returns at `as_of`."""
    cutoff = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    customers = purchasing_customers(orders_from_lines(lines_in_period(lines, None, cutoff + ONE_DAY)))
    return to_frame(backend, with_labels(customers, lines, cutoff, horizon))


def with_labels(customers: ir.Table, lines: ir.Table, as_of: dt.date, horizon_days: int) -> ir.Table:
    """`customers` (any table with customer_id) with LABEL_COLUMNS appended."""
    window_start = as_of + ONE_DAY
    window_end = window_start + dt.timedelta(days=horizon_days)
    future = orders_from_lines(lines_in_period(lines, window_start, window_end))
    outcome = future.group_by("customer_id").aggregate(
        future_orders=future.count(where=future.is_purchase),
        future_spend=future.value.sum(),
        next_day=future.day.min(where=future.is_purchase),
    )
    joined = customers.left_join(outcome, "customer_id")
    purchases = joined.future_orders.fill_null(0)
    observed = joined.next_day.notnull()
    labels = {
        "label_churned": (purchases == 0).cast("float64"),
        "label_orders": purchases.cast("float64"),
        "label_spend": joined.future_spend.fill_null(0).cast("float64"),
        "label_days_to_next": (joined.next_day - day_number(as_of))
        .fill_null(horizon_days)
        .cast("float64"),
        "label_next_observed": observed.cast("float64"),
    }
    return joined.select(*customers.columns, **labels)
