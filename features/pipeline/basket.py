"""Basket shape: how big a customer's purchase orders are and how varied their products are.

- lines_per_order_mean: mean number of lines per purchase order.
- quantity_per_order_mean: mean summed quantity per purchase order, over the purchase orders that
  carry a quantity; NaN when none does (sources without quantities).
- distinct_products, distinct_categories: distinct product_id / category values on lines with a
  positive amount (items paid for) before the cutoff; NaN when the customer has no such line with
  a product_id / category (sources without product data), so "unknown" is not read as "zero".
"""

from __future__ import annotations

import ibis.expr.types as ir

ORDER_FEATURES: tuple[str, ...] = ("lines_per_order_mean", "quantity_per_order_mean")
LINE_FEATURES: tuple[str, ...] = ("distinct_products", "distinct_categories")
FEATURES: tuple[str, ...] = ORDER_FEATURES + LINE_FEATURES


def aggregates(orders: ir.Table) -> dict[str, ir.Scalar]:
    """Per-customer reductions over `orders` (grouped by customer) named as in ORDER_FEATURES."""
    purchase = orders.is_purchase
    return {
        "lines_per_order_mean": orders.lines.mean(where=purchase),
        "quantity_per_order_mean": orders.quantity.mean(where=purchase),
    }


def line_aggregates(lines: ir.Table) -> dict[str, ir.Scalar]:
    """Per-customer reductions over lines (grouped by customer) named as in LINE_FEATURES."""
    paid = lines.amount > 0
    return {
        "distinct_products": lines.product_id.nunique(where=paid).nullif(0),
        "distinct_categories": lines.category.nunique(where=paid).nullif(0),
    }
