"""Per-customer reasons behind a churn or lifetime-value prediction, in plain words.

Contributions come from `training.attribution` on the model's raw scale (log-odds for churn,
log-spend for CLV): LightGBM's SHAP values, a blend's weighted parts, or a BTYD model's Shapley
values over its inputs. The largest ones, by absolute size, become sentences such as
"no order for 210 days, 3.1x the usual gap between orders", each with its signed contribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.pipeline.channels import PREFIX as SHARE_PREFIX
from features.pipeline.channels import channel_names
from features.pipeline.shifts import LAST_CHANNEL_PREFIX, RECENT_CHANNEL_PREFIX
from training import attribution
from training.engagement_phrases import PHRASES as ENGAGEMENT_PHRASES
from training.job import CustomerModels


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float
    contribution: float
    text: str


def _days(v: float) -> str:
    return f"{v:,.0f} days"


def _recency(row: pd.Series) -> str:
    text = f"no order for {_days(row['recency_days'])}"
    ratio = row.get("overdue_ratio")
    if ratio is not None and np.isfinite(ratio):
        text += f", {ratio:.1f}x the usual gap between orders"
    return text


def _unless_missing(feature: str, phrase: Callable[[float], str], missing: str) -> Callable[[pd.Series], str]:
    """A phrase for the value of `feature`, or `missing` when it is NaN (the feature undefined)."""
    def describe_value(row: pd.Series) -> str:
        value = row[feature]
        return missing if value is None or not np.isfinite(value) else phrase(value)
    return describe_value


_NO_RECENT_PURCHASE = "no purchase in the last 90 days"

PHRASES: dict[str, Callable[[pd.Series], str]] = {
    "recency_days": _recency,
    "overdue_ratio": lambda r: f"{r['overdue_ratio']:.1f}x overdue against the usual gap between orders",
    "tenure_days": lambda r: f"a customer for {_days(r['tenure_days'])}",
    "orders": lambda r: f"{r['orders']:.0f} orders so far",
    "repeat_orders": lambda r: f"{r['repeat_orders']:.0f} repeat orders",
    "btyd_frequency": lambda r: f"bought on {r['btyd_frequency'] + 1:.0f} different days",
    "spend_total": lambda r: f"spent {r['spend_total']:,.2f} in total",
    "order_value_mean": lambda r: f"orders worth {r['order_value_mean']:,.2f} on average",
    "order_value_max": lambda r: f"largest order {r['order_value_max']:,.2f}",
    "return_rate": lambda r: f"returned {r['return_rate']:.0%} of what was bought",
    "gap_mean_days": lambda r: f"usually {_days(r['gap_mean_days'])} between orders",
    "gap_last_days": lambda r: f"last gap between orders {_days(r['gap_last_days'])}",
    "orders_trend_90d": lambda r: f"order trend over the last 90 days {r['orders_trend_90d']:+.2f}",
    "spend_trend_90d": lambda r: f"spend trend over the last 90 days {r['spend_trend_90d']:+.2f}",
    "nov_dec_order_share": lambda r: f"{r['nov_dec_order_share']:.0%} of orders in November-December",
    "active_months": lambda r: f"active in {r['active_months']:.0f} different months",
    "bgnbd_p_alive": lambda r: f"{r['bgnbd_p_alive']:.0%} chance still active (BG/NBD)",
    "bgnbd_expected_orders": lambda r: f"BG/NBD expects {r['bgnbd_expected_orders']:.2f} orders",
    "bgnbd_p_no_purchase": lambda r: f"BG/NBD gives {r['bgnbd_p_no_purchase']:.0%} chance of no order",
    "bgnbd_gg_spend": lambda r: f"BG/NBD x Gamma-Gamma expects {r['bgnbd_gg_spend']:,.2f} spend",
    "pnbd_p_purchase": lambda r: f"Pareto/NBD gives {1 - r['pnbd_p_purchase']:.0%} chance of no order",
    "btyd_recency": lambda r: f"{_days(r['btyd_recency'])} from the first to the last purchase day",
    "btyd_T": lambda r: f"first purchase {_days(r['btyd_T'])} ago",
    "btyd_monetary": lambda r: (f"repeat purchase days worth {r['btyd_monetary']:,.2f} on average"
                                if r["btyd_frequency"] > 0 else "no repeat purchase day yet"),
    "cal_nov_dec_share": lambda r: f"{r['cal_nov_dec_share']:.0%} of the coming window is November-December",
    "order_value_ratio_90d": _unless_missing(
        "order_value_ratio_90d", lambda v: f"orders of the last 90 days worth {v:.1f}x the usual order",
        _NO_RECENT_PURCHASE),
    "orders_decayed_90d": lambda r: f"recent order rate {r['orders_decayed_90d']:.2f} "
                                    f"(orders weighted by age, halving every 90 days)",
    "returns_90d": lambda r: f"{r['returns_90d']:.0f} returns in the last 90 days",
    "days_since_return": _unless_missing(
        "days_since_return", lambda v: f"last return {_days(v)} ago", "never returned anything"),
    "channel_shift_90d": _unless_missing(
        "channel_shift_90d", lambda v: f"channels of the last 90 days {v:.0%} different from the usual mix",
        _NO_RECENT_PURCHASE),
    "last_day_value_ratio": lambda r: f"last purchase worth {r['last_day_value_ratio']:.1f}x the usual purchase day",
    "distinct_categories_180d": _unless_missing(
        "distinct_categories_180d", lambda v: f"{v:.0f} categories bought in the last 180 days",
        "no category data"),
    "categories_180d_share": _unless_missing(
        "categories_180d_share", lambda v: f"{v:.0%} of their categories bought in the last 180 days",
        "no category data"),
    **ENGAGEMENT_PHRASES,
}


def describe(feature: str, row: pd.Series, channel_names: Mapping[str, str] | None = None) -> str:
    """A plain-words description of one feature's value for one customer; `channel_names` maps the
    slug in a channel column's name to the channel's own name (see `channel_names`)."""
    if feature in PHRASES:
        return PHRASES[feature](row)
    for window in ("30d", "90d", "180d", "365d"):
        if feature == f"orders_{window}":
            return f"{row[feature]:.0f} orders in the last {window[:-1]} days"
        if feature == f"spend_{window}":
            return f"spent {row[feature]:,.2f} in the last {window[:-1]} days"
    names = channel_names or {}
    for prefix in (SHARE_PREFIX, LAST_CHANNEL_PREFIX, RECENT_CHANNEL_PREFIX):
        if feature.startswith(prefix):
            slug = feature.removeprefix(prefix)
            return _channel_phrase(prefix, names.get(slug, slug), feature, row)
    return f"{feature.replace('_', ' ')} = {row[feature]:.3g}"


def _channel_phrase(prefix: str, channel: str, feature: str, row: pd.Series) -> str:
    value = row[feature]
    if prefix == SHARE_PREFIX:
        return f"{value:.0%} of orders through {channel}"
    if prefix == LAST_CHANNEL_PREFIX:
        return f"last purchase {'not ' if value == 0 else ''}through {channel}"
    return _unless_missing(feature, lambda v: f"{v:.0%} of the last 90 days' orders through {channel}",
                           _NO_RECENT_PURCHASE)(row)


def explain(models: CustomerModels, frame: pd.DataFrame, task: str, top: int = 3) -> list[list[Reason]]:
    """Top `top` reasons per row of `frame` for task 'churn' or 'clv'."""
    contributions = attribution.contributions(models, frame, task)
    names = channel_names(models.channels)
    reasons = []
    for (_, row), (_, contrib) in zip(frame.iterrows(), contributions.iterrows(), strict=True):
        strongest = contrib.abs().sort_values(ascending=False).index[:top]
        reasons.append([Reason(f, float(row[f]), float(contrib[f]), describe(f, row, names))
                        for f in strongest])
    return reasons
