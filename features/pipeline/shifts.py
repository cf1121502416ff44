"""Recent change: how a customer's latest behaviour departs from their own history.

Customers rarely stop at once: before they leave they tend to buy smaller baskets, return more,
move to another channel and narrow to fewer categories. Each feature compares a recent window
with the customer's whole history before the cutoff, so a large basket buyer and a small one
read the same when both halve. Windows are those of `windows` (cutoff day - N < day <= cutoff day).

- order_value_ratio_90d: mean purchase-order value in the last 90 days / mean purchase-order
  value over the whole history (gross, purchases only); NaN without a purchase in the window.
- last_day_value_ratio: value of the last purchase day / mean value of all purchase days (see
  `purchase_days`); 1 for a single purchase day.
- orders_decayed_90d: purchase orders weighted by 2^(-age / 90 days), age = cutoff day - order day;
  a smooth estimate of the current purchase rate (an order today counts 1, one 90 days ago 0.5).
- returns_90d: return orders in the last 90 days (0 when none).
- days_since_return: cutoff day - day of the latest return order; NaN without a return.
- distinct_categories_180d: distinct categories on paid lines of the last 180 days; NaN when the
  customer has no paid line with a category at all (sources without categories), 0 when they do
  but bought nothing in the window.
- categories_180d_share: distinct_categories_180d / distinct_categories (narrowing below 1).
- channel_shift_90d: total variation distance between the channel shares of the last 90 days'
  purchase orders and those of all purchase orders, half the sum of the absolute differences
  (0 = the same mix, 1 = entirely different channels); NaN without a purchase in the window or
  when the source has no channels.
- channel_90d_<channel>: share of the last 90 days' purchase orders placed in the channel, one
  column per channel-share column (see `channels`); NaN without a purchase in the window.
- channel_last_<channel>: 1 when the customer's last purchase day has a purchase order in the
  channel, else 0: where the customer bought last (a day with orders in two channels gives 1 to
  both; days, not timestamps, so sources with dates only have no ties to break).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator

import ibis
import ibis.expr.types as ir

from features.pipeline.channels import PREFIX as SHARE_PREFIX
from features.pipeline.channels import purchase_share
from features.pipeline.dates import utc_midnight
from features.pipeline.ratios import safe_ratio

RECENT_DAYS = 90
CATEGORY_DAYS = 180
HALF_LIFE_DAYS = 90
RECENT_CHANNEL_PREFIX = f"channel_{RECENT_DAYS}d_"
LAST_CHANNEL_PREFIX = "channel_last_"

ORDER_FEATURES: tuple[str, ...] = (
    f"order_value_ratio_{RECENT_DAYS}d",
    f"orders_decayed_{HALF_LIFE_DAYS}d",
    f"returns_{RECENT_DAYS}d",
    "days_since_return",
    f"channel_shift_{RECENT_DAYS}d",
)
DAY_FEATURES: tuple[str, ...] = ("last_day_value_ratio",)
LINE_FEATURES: tuple[str, ...] = (f"distinct_categories_{CATEGORY_DAYS}d", f"categories_{CATEGORY_DAYS}d_share")
FEATURES: tuple[str, ...] = ORDER_FEATURES + DAY_FEATURES + LINE_FEATURES


def recent_channel_columns(channel_columns: dict[str, str]) -> dict[str, str]:
    """Channel -> its recent-share column, in the order of `channel_columns`."""
    return _renamed(channel_columns, RECENT_CHANNEL_PREFIX)


def last_channel_columns(channel_columns: dict[str, str]) -> dict[str, str]:
    """Channel -> its last-purchase-day column, in the order of `channel_columns`."""
    return _renamed(channel_columns, LAST_CHANNEL_PREFIX)


def _renamed(channel_columns: dict[str, str], prefix: str) -> dict[str, str]:
    return {channel: prefix + name.removeprefix(SHARE_PREFIX) for channel, name in channel_columns.items()}


def order_aggregates(orders: ir.Table, as_of_day: int, channel_columns: dict[str, str]) -> dict[str, ir.Scalar]:
    """Per-customer reductions over `orders` (grouped by customer): ORDER_FEATURES, the recent
    channel shares and the last purchase day's channels."""
    purchase = orders.is_purchase
    recent = orders.day > as_of_day - RECENT_DAYS
    recent_purchase = purchase & recent
    age = as_of_day - orders.day
    out: dict[str, ir.Scalar] = {
        f"order_value_ratio_{RECENT_DAYS}d": safe_ratio(
            orders.value.mean(where=recent_purchase), orders.value.mean(where=purchase)
        ),
        f"orders_decayed_{HALF_LIFE_DAYS}d": (age * (-math.log(2) / HALF_LIFE_DAYS)).exp().sum(where=purchase),
        f"returns_{RECENT_DAYS}d": orders.count(where=orders.is_return & recent),
        "days_since_return": as_of_day - orders.day.max(where=orders.is_return),
    }
    last_day = orders.day.max(where=purchase)
    recent_names, last_names = recent_channel_columns(channel_columns), last_channel_columns(channel_columns)
    shifts = []
    for channel in channel_columns:
        recent_share = purchase_share(orders, channel, recent_purchase)
        out[recent_names[channel]] = recent_share
        shifts.append((recent_share - purchase_share(orders, channel, purchase)).abs())
        last_in_channel = orders.day.max(where=purchase & orders.channel.identical_to(channel))
        out[last_names[channel]] = (last_in_channel == last_day).fill_null(False).cast("int8")
    if shifts:
        out[f"channel_shift_{RECENT_DAYS}d"] = functools.reduce(operator.add, shifts) / 2
    return out


def missing_channel_shift() -> dict[str, ir.Value]:
    """The channel shift of a source without channels: undefined for every customer."""
    return {f"channel_shift_{RECENT_DAYS}d": ibis.null("float64")}


def day_aggregates(days: ir.Table) -> dict[str, ir.Scalar]:
    """Per-customer reductions over purchase days (grouped by customer): DAY_FEATURES. A customer
    has one row per day, so the last day is unique."""
    return {"last_day_value_ratio": safe_ratio(days.value.argmax(days.day), days.value.mean())}


def line_aggregates(lines: ir.Table, as_of: dt.date) -> dict[str, ir.Scalar]:
    """Per-customer reductions over lines before the cutoff (grouped by customer): LINE_FEATURES."""
    paid = lines.amount > 0
    window_start = as_of - dt.timedelta(days=CATEGORY_DAYS - 1)
    in_window = lines.timestamp >= ibis.timestamp(utc_midnight(window_start))
    lifetime = lines.category.nunique(where=paid)
    recent = lines.category.nunique(where=paid & in_window)
    known = lifetime > 0
    return {
        f"distinct_categories_{CATEGORY_DAYS}d": ibis.ifelse(known, recent, ibis.null("int64")),
        f"categories_{CATEGORY_DAYS}d_share": safe_ratio(recent, lifetime),
    }
