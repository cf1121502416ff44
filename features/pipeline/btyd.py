"""The RFM summary that BTYD models (BG/NBD, Pareto/NBD, Gamma-Gamma) take, in days.

Follows Fader, Hardie & Lee (2005), "Counting your customers the easy way", and matches
lifetimes.utils.summary_data_from_transaction_data(freq='D') on data without returns:

- btyd_frequency: repeat purchase days = distinct purchase days - 1 (see `purchase_days`).
- btyd_recency: days from the first to the last purchase day (0 for one purchase day).
- btyd_T: days from the first purchase day to the cutoff day.
- btyd_monetary: mean value of the repeat purchase days (the first day excluded, as Gamma-Gamma
  expects), 0 when there is none.
"""

from __future__ import annotations

import ibis.expr.types as ir

from features.pipeline.ratios import safe_ratio

COUNT_FEATURES: tuple[str, ...] = ("btyd_frequency", "btyd_recency", "btyd_T")
FEATURES: tuple[str, ...] = (*COUNT_FEATURES, "btyd_monetary")


def count_aggregates(days: ir.Table, as_of_day: int) -> dict[str, ir.Scalar]:
    """Per-customer frequency, recency and T over purchase days (grouped by customer)."""
    first_day = days.day.min()
    return {
        "btyd_frequency": days.count() - 1,
        "btyd_recency": days.day.max() - first_day,
        "btyd_T": as_of_day - first_day,
    }


def monetary_aggregate(days: ir.Table) -> dict[str, ir.Scalar]:
    """Per-customer mean repeat-day value over purchase days with `previous_day`."""
    repeat = days.previous_day.notnull()
    mean_repeat_value = safe_ratio(days.value.sum(where=repeat), days.count(where=repeat))
    return {"btyd_monetary": mean_repeat_value.fill_null(0)}
