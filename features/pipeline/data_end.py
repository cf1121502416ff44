"""How far a cutoff lies past the data: scoring or training far beyond the last transaction says
"everyone churned" (every recency is huge, every label window empty), so such cutoffs are refused
unless asked for.
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pandas as pd

from features.engine import parquet_source

DEFAULT_MAX_DAYS_PAST_DATA = 90
"""Days a cutoff may lie after the last transaction before it counts as far-future."""


class FutureCutoff(ValueError):
    """A cutoff far beyond the last transaction of the data it would be applied to."""


def last_transaction_day(transactions: str | os.PathLike[str]) -> dt.date | None:
    """The UTC day of the newest transaction in a canonical table (None when it has no rows)."""
    source = parquet_source(transactions)
    pattern = str(source / "**" / "*.parquet") if source.is_dir() else str(source)
    with duckdb.connect() as con:
        newest = con.execute("SELECT epoch_ms(max(timestamp)) FROM read_parquet(?)", [pattern]).fetchone()[0]
    return None if newest is None else pd.Timestamp(newest, unit="ms", tz="UTC").date()


def check_cutoff(as_of: dt.date, last_day: dt.date | None, *, source: str,
                 max_days: int = DEFAULT_MAX_DAYS_PAST_DATA, allow_future: bool = False,
                 allow_option: str = "--allow-future") -> None:
    """Raise FutureCutoff when `as_of` is more than `max_days` after `last_day`, unless allowed."""
    if allow_future or last_day is None:
        return
    gap = (as_of - last_day).days
    if gap > max_days:
        hint = f"give {allow_option} to use it anyway, " if allow_option else ""
        raise FutureCutoff(
            f"--as-of {as_of} is {gap:,} days after the last transaction in {source} ({last_day}), more than the "
            f"{max_days} allowed: every customer would look churned. Use a cutoff on or before "
            f"{last_day + dt.timedelta(days=max_days)}, {hint}or raise --max-days-past-data"
        )


def days_past_data(features: pd.DataFrame) -> int | None:
    """Days from the newest purchase in a feature table to its cutoff: its smallest `recency_days`."""
    if "recency_days" not in features.columns:
        return None
    newest = pd.to_numeric(features["recency_days"], errors="coerce").min()
    return None if pd.isna(newest) else int(newest)
