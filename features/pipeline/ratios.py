"""Division that stays defined on every engine (Spark 4 runs ANSI SQL, where x / 0 is an error)."""

from __future__ import annotations

import ibis.expr.types as ir


def safe_ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.NumericValue:
    """numerator / denominator, null (read back as NaN) when the denominator is 0."""
    return numerator / denominator.nullif(0)
