"""The benchmark's baseline: the feature table of features.pipeline.build_features written as plain
vectorised pandas, the way an analyst would write it for one machine.

Same definitions as the pipeline's module docstrings (see docs/features.md): lines before the end
of the cutoff day are aggregated to orders, then per-customer features come from orders, from
purchase days and from paid lines. bench/features.py checks that both agree before timing them.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from features.pipeline import FEATURE_COLUMNS

COLUMNS: tuple[str, ...] = (
    "customer_id",
    "order_id",
    "timestamp",
    "amount",
    "quantity",
    "product_id",
    "category",
    "channel",
)
"""The canonical columns the features read."""

WINDOW_DAYS = (30, 90, 180, 365)
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def pandas_features(lines: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """customer_id, FEATURE_COLUMNS and channel shares for every customer with a purchase on or
    before `as_of`, sorted by customer_id: the same table as build_features(lines, as_of)."""
    end = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    history = lines.loc[lines["timestamp"] < end, list(COLUMNS)]
    as_of_day = (pd.Timestamp(as_of, tz="UTC") - EPOCH).days
    orders = _orders(history)
    per_customer = _order_features(orders, as_of_day, _channels(history))
    day_stats = _day_features(orders, as_of_day)
    products = _product_features(history, as_of)
    table = per_customer.join(day_stats, how="inner").join(products, how="left")
    shares = sorted(name for name in table.columns if name.startswith("channel_share_"))
    recent = sorted(name for name in table.columns if name.startswith("channel_90d_"))
    last = sorted(name for name in table.columns if name.startswith("channel_last_"))
    table = table[[*FEATURE_COLUMNS, *shares, *recent, *last]].astype("float64")
    return table.sort_index().rename_axis("customer_id").reset_index()


def _orders(history: pd.DataFrame) -> pd.DataFrame:
    orders = history.groupby(["customer_id", "order_id"], sort=False, observed=True).agg(
        first_ts=("timestamp", "min"),
        value=("amount", "sum"),
        lines=("amount", "size"),
        quantity=("quantity", "sum"),
        quantity_lines=("quantity", "count"),
        channel=("channel", "min"),
    )
    orders.loc[orders["quantity_lines"] == 0, "quantity"] = np.nan
    orders = orders.reset_index()
    first_ts = orders["first_ts"]
    orders["day"] = (first_ts - EPOCH).dt.days
    orders["month"] = first_ts.dt.month
    orders["month_index"] = first_ts.dt.year * 12 + first_ts.dt.month
    orders["is_purchase"] = orders["value"] > 0
    orders["is_return"] = orders["value"] < 0
    return orders


def _channels(history: pd.DataFrame) -> dict[str, str]:
    seen = sorted(history["channel"].dropna().unique())
    return {channel: "channel_share_" + re.sub(r"[^0-9a-z]+", "_", channel.lower()).strip("_")
            for channel in seen}


def _order_features(orders: pd.DataFrame, as_of_day: int, channels: dict[str, str]) -> pd.DataFrame:
    purchase = orders["is_purchase"]
    day = orders["day"]
    value = orders["value"]
    festive = purchase & orders["month"].isin((11, 12))
    columns = {
        "purchase": purchase,
        "purchase_day": day.where(purchase),
        "purchase_value": value.where(purchase),
        "value": value,
        "is_return": orders["is_return"],
        "returned_value": (-value).where(orders["is_return"], 0.0),
        "purchase_lines": orders["lines"].where(purchase),
        "purchase_quantity": orders["quantity"].where(purchase),
        "festive": festive,
        "festive_value": value.where(festive, 0.0),
        "purchase_month_index": orders["month_index"].where(purchase),
    }
    for days in WINDOW_DAYS:
        inside = day > as_of_day - days
        columns[f"in_{days}"] = purchase & inside
        columns[f"value_{days}"] = value.where(inside, 0.0)
    earlier = (day > as_of_day - 180) & (day <= as_of_day - 90)
    columns["in_before_90"] = purchase & earlier
    columns["value_before_90"] = value.where(earlier, 0.0)
    in_recent = day > as_of_day - 90
    recent = purchase & in_recent
    columns["recent_purchase_value"] = value.where(recent, 0.0)
    columns["decayed"] = np.exp2(-(as_of_day - day) / 90).where(purchase, 0.0)
    columns["recent_return"] = orders["is_return"] & in_recent
    columns["return_day"] = day.where(orders["is_return"])
    for channel, name in channels.items():
        in_channel = (orders["channel"] == channel).fillna(False)
        columns[name] = purchase & in_channel
        columns["recent_" + name] = recent & in_channel
        columns["day_in_" + name] = day.where(purchase & in_channel)
    frame = pd.DataFrame(columns).assign(customer_id=orders["customer_id"])
    grouped = frame.groupby("customer_id", sort=False, observed=True)
    sums = grouped[[name for name in columns if name not in (
        "purchase_day", "purchase_value", "purchase_lines", "purchase_quantity", "purchase_month_index",
        "return_day", *("day_in_" + name for name in channels.values()))]].sum()
    out = pd.DataFrame(index=sums.index)
    purchases = sums["purchase"]
    out["recency_days"] = as_of_day - grouped["purchase_day"].max()
    out["tenure_days"] = as_of_day - grouped["purchase_day"].min()
    out["orders"] = purchases
    out["repeat_orders"] = purchases - 1
    out["spend_total"] = sums["value"]
    out["order_value_mean"] = sums["value"] / purchases.replace(0, np.nan)
    out["order_value_max"] = grouped["purchase_value"].max()
    out["returns"] = sums["is_return"]
    out["return_rate"] = sums["returned_value"] / grouped["purchase_value"].sum(min_count=1)
    for days in WINDOW_DAYS:
        out[f"orders_{days}d"] = sums[f"in_{days}"]
    for days in WINDOW_DAYS:
        out[f"spend_{days}d"] = sums[f"value_{days}"]
    out["orders_trend_90d"] = sums["in_90"] - sums["in_before_90"]
    out["spend_trend_90d"] = sums["value_90"] - sums["value_before_90"]
    out["lines_per_order_mean"] = grouped["purchase_lines"].mean()
    out["quantity_per_order_mean"] = grouped["purchase_quantity"].mean()
    out["nov_dec_order_share"] = sums["festive"] / purchases
    out["nov_dec_spend_share"] = sums["festive_value"] / grouped["purchase_value"].sum(min_count=1)
    out["active_months"] = grouped["purchase_month_index"].nunique()
    out["month_concentration"] = _month_concentration(orders[purchase], purchases)
    recent_purchases = sums["in_90"].replace(0, np.nan)
    out["order_value_ratio_90d"] = (sums["recent_purchase_value"] / recent_purchases) / grouped["purchase_value"].mean()
    out["orders_decayed_90d"] = sums["decayed"]
    out["returns_90d"] = sums["recent_return"]
    out["days_since_return"] = as_of_day - grouped["return_day"].max()
    shift = 0.0
    last_day = grouped["purchase_day"].max()
    for name in channels.values():
        slug = name.removeprefix("channel_share_")
        out[name] = sums[name] / purchases
        out["channel_90d_" + slug] = sums["recent_" + name] / recent_purchases
        shift = shift + (out["channel_90d_" + slug] - out[name]).abs()
        out["channel_last_" + slug] = (grouped["day_in_" + name].max() == last_day).astype(float)
    out["channel_shift_90d"] = shift / 2 if channels else np.nan
    return out[purchases > 0]


def _month_concentration(purchases: pd.DataFrame, counts: pd.Series) -> pd.Series:
    per_month = purchases.groupby(["customer_id", "month"], sort=False, observed=True).size()
    shares = per_month / counts.reindex(per_month.index.get_level_values("customer_id")).to_numpy()
    return (shares**2).groupby(level="customer_id", observed=True).sum()


def _day_features(orders: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    purchases = orders.loc[orders["is_purchase"], ["customer_id", "day", "value"]]
    days = purchases.groupby(["customer_id", "day"], observed=True).agg(value=("value", "sum")).reset_index()
    days["previous_day"] = days.groupby("customer_id", sort=False, observed=True)["day"].shift()
    days["gap"] = days["day"] - days["previous_day"]
    days["repeat_value"] = days["value"].where(days["previous_day"].notna())
    grouped = days.groupby("customer_id", sort=False, observed=True)
    stats = grouped.agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        purchase_days=("day", "size"),
        last_previous=("previous_day", "max"),
        gap_std_days=("gap", "std"),
        gap_median_days=("gap", "median"),
        gap_first_days=("gap", "first"),
        repeat_value=("repeat_value", "sum"),
    )
    repeats = stats["purchase_days"] - 1
    span = stats["last_day"] - stats["first_day"]
    out = pd.DataFrame(index=stats.index)
    out["gap_mean_days"] = span / repeats.replace(0, np.nan)
    out["gap_std_days"] = stats["gap_std_days"]
    out["gap_median_days"] = stats["gap_median_days"]
    out["gap_last_days"] = stats["last_day"] - stats["last_previous"]
    out["gap_first_days"] = stats["gap_first_days"]
    out["overdue_ratio"] = (as_of_day - stats["last_day"]) / out["gap_mean_days"]
    out["btyd_frequency"] = repeats
    out["btyd_recency"] = span
    out["btyd_T"] = as_of_day - stats["first_day"]
    out["btyd_monetary"] = (stats["repeat_value"] / repeats.replace(0, np.nan)).fillna(0.0)
    last_value = days.loc[grouped["day"].idxmax(), ["customer_id", "value"]].set_index("customer_id")["value"]
    out["last_day_value_ratio"] = last_value / grouped["value"].mean()
    return out


def _product_features(history: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    paid = history.loc[history["amount"] > 0, ["customer_id", "product_id", "category", "timestamp"]]
    window_start = pd.Timestamp(as_of, tz="UTC") - pd.Timedelta(days=179)
    paid = paid.assign(recent_category=paid["category"].where(paid["timestamp"] >= window_start))
    counts = paid.groupby("customer_id", sort=False, observed=True).agg(
        distinct_products=("product_id", "nunique"),
        distinct_categories=("category", "nunique"),
        distinct_categories_180d=("recent_category", "nunique"),
    )
    lifetime = counts["distinct_categories"]
    counts["distinct_categories_180d"] = counts["distinct_categories_180d"].where(lifetime > 0)
    counts["categories_180d_share"] = counts["distinct_categories_180d"] / lifetime.replace(0, np.nan)
    counts[["distinct_products", "distinct_categories"]] = counts[["distinct_products", "distinct_categories"]].replace(0, np.nan)
    return counts
