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
    newest = _scan(transactions, "SELECT epoch_ms(max(timestamp)) FROM read_parquet(?)")[0]
    return None if newest is None else pd.Timestamp(newest, unit="ms", tz="UTC").date()


def usable_data_end(transactions: str | os.PathLike[str], as_of: dt.date) -> dt.date:
    """The last transaction day of a canonical table a job is to learn from or score as of `as_of`.

    Refuses (ValueError naming the file) a table without a transaction on or before `as_of`, which
    would publish an empty result over a previous one, and a table holding an amount that is not a
    finite number (null, NaN, infinite), which would make every sum downstream NaN or infinite;
    `insight ingest` quarantines such rows, so they come from a table written some other way."""
    end = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    bad = "amount IS NULL OR NOT isfinite(amount)"
    newest, until, not_finite = _scan(
        transactions, f"SELECT epoch_ms(max(timestamp)), count(*) FILTER (timestamp < ?), count(*) FILTER ({bad}) "
        "FROM read_parquet(?)", [end.to_pydatetime()])
    if not_finite:
        file, row, customer, order, amount = _scan(
            transactions, "SELECT filename, file_row_number + 1, customer_id, order_id, amount "
            f"FROM read_parquet(?, filename = true, file_row_number = true) WHERE {bad} "
            "ORDER BY filename, file_row_number LIMIT 1")
        raise ValueError(
            f"{file}: {not_finite:,} transaction(s) with an amount that is not a finite number, the first at row "
            f"{row:,} (customer_id {customer}, order_id {order}, amount {'null' if amount is None else amount}); ingest the source with "
            "`insight ingest`, which quarantines such rows")
    if not until:
        raise ValueError(f"{parquet_source(transactions)}: no transactions on or before {as_of}")
    return pd.Timestamp(newest, unit="ms", tz="UTC").date()


def _scan(transactions: str | os.PathLike[str], sql: str, params: list | None = None) -> tuple:
    """The one row `sql` gives over the table's Parquet files (its last `?` is their path)."""
    source = parquet_source(transactions)
    pattern = str(source / "**" / "*.parquet") if source.is_dir() else str(source)
    try:
        with duckdb.connect() as con:
            return con.execute(sql, [*(params or []), pattern]).fetchone()
    except duckdb.Error as exc:
        raise ValueError(f"{source}: cannot read the transactions ({str(exc).splitlines()[0]})") from None


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
