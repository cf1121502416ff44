"""Inter-purchase gaps: how regularly a customer buys and whether they are overdue.

Gaps are the day differences between consecutive purchase days (see `purchase_days`), so they
are whole days >= 1. With a single purchase day there is no gap and every feature here is NaN;
gap_std_days needs at least two gaps (three purchase days).

- gap_mean_days: mean gap = (last - first purchase day) / (purchase days - 1).
- gap_std_days: sample standard deviation (ddof=1) of the gaps.
- gap_median_days: median gap (mean of the two middle gaps when their number is even).
- gap_last_days: the latest gap, between the last two purchase days.
- gap_first_days: days from the first to the second purchase day.
- overdue_ratio: recency_days / gap_mean_days; above 1 means later than the customer's usual rhythm.
"""

from __future__ import annotations

import ibis.expr.types as ir

from features.pipeline.ratios import safe_ratio

FEATURES: tuple[str, ...] = (
    "gap_mean_days",
    "gap_std_days",
    "gap_median_days",
    "gap_last_days",
    "gap_first_days",
    "overdue_ratio",
)


def aggregates(days: ir.Table, as_of_day: int) -> dict[str, ir.Scalar]:
    """Per-customer reductions over purchase days with `previous_day` (grouped by customer)."""
    gap = days.day - days.previous_day
    first_day, last_day = days.day.min(), days.day.max()
    gap_mean = safe_ratio(last_day - first_day, days.count() - 1)
    return {
        "gap_mean_days": gap_mean,
        "gap_std_days": gap.std(how="sample"),
        "gap_median_days": gap.median(),
        "gap_last_days": last_day - days.previous_day.max(),
        "gap_first_days": days.day.min(where=days.previous_day.notnull()) - first_day,
        "overdue_ratio": (as_of_day - last_day) / gap_mean,
    }
