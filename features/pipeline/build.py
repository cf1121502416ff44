"""build_features: the point-in-time customer feature table, one Ibis definition for every engine.

Only lines with timestamp < as_of + 1 day (00:00 UTC) are read. Lines are aggregated to orders
once; the per-customer features then come from three grouped passes that are joined on
customer_id: orders (RFM, windows, basket, seasonality, channels, recent shifts), purchase days
(gaps, BTYD, the last day's value) and lines (distinct products and categories, recent ones). A
customer is included when they have at least one purchase order (positive net value) on or
before as_of; customers with only returns or zero-value orders are left out. Every feature is float64, NaN where a module docstring says it is undefined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.engine import resolve_backend
from features.pipeline import basket, btyd, gaps, rfm, seasonality, shifts, windows
from features.pipeline import channels as channel_mix
from features.pipeline import engagement
from features.pipeline.dates import ONE_DAY, as_cutoff_date, day_number
from features.pipeline.orders import lines_in_period, orders_from_lines
from features.pipeline.purchase_days import purchase_days, with_previous_day
from features.pipeline.source import Events, Transactions, events_table, to_frame, transactions_table

FEATURE_SCHEMA_VERSION = 2
"""Bump whenever a feature is added, removed or redefined: snapshots are stored per version."""

FEATURE_COLUMNS: tuple[str, ...] = (
    *rfm.FEATURES,
    *gaps.FEATURES,
    *windows.FEATURES,
    *basket.FEATURES,
    *seasonality.FEATURES,
    *btyd.FEATURES,
    *shifts.FEATURES,
)
"""Every feature column after customer_id, in output order; the channel shares follow, sorted,
then the recent and the last-day channel shares in the same order, then, only when events are
given, ENGAGEMENT_COLUMNS."""

ENGAGEMENT_COLUMNS: tuple[str, ...] = engagement.FEATURES
"""The engagement features (features/pipeline/engagement.py), present only when events are given:
a base without events has exactly the columns it had before events existed."""


def build_features(
    transactions: Transactions,
    as_of: dt.date | str,
    *,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
    channels: Iterable[str] | None = None,
    events: Events | None = None,
) -> pd.DataFrame:
    """Features of every customer with a purchase on or before `as_of`, sorted by customer_id.

    `transactions` is a canonical pandas frame or a Parquet path (read by the engine). `backend`,
    when given, is used instead of a new connection to `engine`. `channels` fixes the channel-share
    columns; by default they are the channels seen before the cutoff. `events` (a canonical event
    frame or `insight ingest-events` output, one path or several) adds ENGAGEMENT_COLUMNS.
    """
    cutoff = as_cutoff_date(as_of)
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    columns = resolve_channel_columns(backend, lines, cutoff, channels)
    activity = None if events is None else events_table(backend, events)
    return to_frame(backend, feature_table(lines, cutoff, columns, activity))


def build_btyd_summary(
    transactions: Transactions,
    as_of: dt.date | str,
    *,
    monetary: bool = True,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
) -> pd.DataFrame:
    """Only the BTYD columns (btyd_frequency, btyd_recency, btyd_T and, if `monetary`,
    btyd_monetary) for the same customers as build_features, skipping every other feature."""
    cutoff = as_cutoff_date(as_of)
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    return to_frame(backend, btyd_table(lines, cutoff, monetary=monetary))


def channels_seen(
    transactions: Transactions,
    as_of: dt.date | str,
    *,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
) -> tuple[str, ...]:
    """The channel names, exactly as in the data, on lines on or before `as_of`, sorted.

    This is the channel list a model trained as of `as_of` keeps and gives back to every frame it
    scores: column names are slugs of these names ("Web Shop" -> channel_share_web_shop) and cannot
    be turned back into them.
    """
    cutoff = as_cutoff_date(as_of)
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    return channel_mix.discover_channels(backend, lines_in_period(lines, None, cutoff + ONE_DAY))


def resolve_channel_columns(
    backend: ibis.BaseBackend,
    lines: ir.Table,
    as_of: dt.date,
    channels: Iterable[str] | None,
) -> dict[str, str]:
    """Channel -> column name: from `channels` if given, else from the lines before the cutoff."""
    if channels is None:
        channels = channel_mix.discover_channels(backend, lines_in_period(lines, None, as_of + ONE_DAY))
    elif isinstance(channels, str):
        raise TypeError(f"channels must be a list of channel names, got the string {channels!r}")
    return channel_mix.channel_columns(channels)


def feature_table(lines: ir.Table, as_of: dt.date, channel_columns: dict[str, str],
                  events: ir.Table | None = None) -> ir.Table:
    """The feature table expression: customer_id, FEATURE_COLUMNS, the channel shares, then the
    recent and the last-day channel shares, then (with `events`) ENGAGEMENT_COLUMNS."""
    as_of_day = day_number(as_of)
    history = lines_in_period(lines, None, as_of + ONE_DAY)
    orders = orders_from_lines(history)
    per_customer = orders.group_by("customer_id").aggregate(
        **rfm.aggregates(orders, as_of_day),
        **windows.aggregates(orders, as_of_day),
        **basket.aggregates(orders),
        **seasonality.aggregates(orders),
        **channel_mix.aggregates(orders, channel_columns),
        **shifts.order_aggregates(orders, as_of_day, channel_columns),
    )
    per_customer = per_customer.filter(per_customer.orders > 0)
    if not channel_columns:
        per_customer = per_customer.mutate(**shifts.missing_channel_shift())
    days = with_previous_day(purchase_days(orders))
    day_stats = days.group_by("customer_id").aggregate(
        **gaps.aggregates(days, as_of_day),
        **btyd.count_aggregates(days, as_of_day),
        **btyd.monetary_aggregate(days),
        **shifts.day_aggregates(days),
    )
    products = history.group_by("customer_id").aggregate(
        **basket.line_aggregates(history),
        **shifts.line_aggregates(history, as_of),
    )
    joined = per_customer.join(day_stats, "customer_id").left_join(products, "customer_id")
    recent_channels = shifts.recent_channel_columns(channel_columns).values()
    last_channels = shifts.last_channel_columns(channel_columns).values()
    names = (*FEATURE_COLUMNS, *channel_columns.values(), *recent_channels, *last_channels)
    if events is None:
        return _float_columns(joined, names)
    engaged = engagement.engagement_table(events, orders, as_of)
    joined = joined.left_join(engaged, per_customer.customer_id == engaged.customer_id, rname="{name}_engagement")
    joined = joined.mutate(**{name: joined[name].fill_null(0) for name in engagement.INDICATORS})
    return _float_columns(joined, (*names, *ENGAGEMENT_COLUMNS))


def btyd_table(lines: ir.Table, as_of: dt.date, *, monetary: bool) -> ir.Table:
    """customer_id and the BTYD summary columns, computed from purchase days alone."""
    as_of_day = day_number(as_of)
    days = purchase_days(orders_from_lines(lines_in_period(lines, None, as_of + ONE_DAY)))
    if monetary:
        days = with_previous_day(days)
    summary = days.group_by("customer_id").aggregate(
        **btyd.count_aggregates(days, as_of_day),
        **(btyd.monetary_aggregate(days) if monetary else {}),
    )
    names = btyd.FEATURES if monetary else btyd.COUNT_FEATURES
    return _float_columns(summary, names)


def _float_columns(table: ir.Table, names: Iterable[str]) -> ir.Table:
    return table.select("customer_id", **{name: table[name].cast("float64") for name in names})

