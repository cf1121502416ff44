"""Channel mix: the share of a customer's purchase orders placed in each sales channel.

The column set is fixed before any customer is scored: either passed in, or the sorted distinct
channels seen on lines before the cutoff, so a channel first seen after the cutoff never adds a
column. Column names are `channel_share_<channel>` with the channel in snake_case. An order's
channel is that of its lines (see `orders`); orders without a channel count in no share, so the
shares of a customer add up to at most 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from features.pipeline.ratios import safe_ratio

PREFIX = "channel_share_"


def discover_channels(backend: ibis.BaseBackend, lines: ir.Table) -> tuple[str, ...]:
    """The sorted distinct non-null channels on `lines` (filter them to the cutoff first)."""
    seen = lines.filter(lines.channel.notnull()).select("channel").distinct()
    return tuple(sorted(backend.to_pandas(seen)["channel"].tolist()))


def channel_columns(channels: Iterable[str]) -> dict[str, str]:
    """Feature column name for each channel, ordered by column name; rejects clashing names."""
    columns: dict[str, str] = {}
    for channel in sorted(set(channels)):
        if not isinstance(channel, str):
            raise TypeError(f"channels must be strings, got {channel!r}")
        slug = re.sub(r"[^0-9a-z]+", "_", channel.lower()).strip("_")
        if not slug:
            raise ValueError(f"channel {channel!r} has no letters or digits to name a column after")
        name = PREFIX + slug
        clash = next((other for other, column in columns.items() if column == name), None)
        if clash is not None:
            raise ValueError(
                f"channels {clash!r} and {channel!r} both map to column '{name}'; "
                f"harmonise channel names at ingestion"
            )
        columns[channel] = name
    return dict(sorted(columns.items(), key=lambda item: item[1]))


def channel_names(channels: Iterable[str]) -> dict[str, str]:
    """Slug in the channel columns' names -> the channel's name as in the data ("web_shop" -> "Web Shop")."""
    return {column.removeprefix(PREFIX): channel for channel, column in channel_columns(channels).items()}


def aggregates(orders: ir.Table, columns: dict[str, str]) -> dict[str, ir.Scalar]:
    """Per-customer channel shares over `orders` (grouped by customer), one per entry of `columns`."""
    return {name: purchase_share(orders, channel, orders.is_purchase) for channel, name in columns.items()}


def purchase_share(orders: ir.Table, channel: str, purchases: ir.BooleanColumn) -> ir.Scalar:
    """Share of the orders selected by `purchases` placed in `channel` (grouped by customer);
    null when none is selected."""
    return safe_ratio(orders.count(where=purchases & orders.channel.identical_to(channel)),
                      orders.count(where=purchases))
