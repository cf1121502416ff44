"""utc_calendar: day numbers and months of UTC timestamps, equal to Python's calendar on the edges
(before 1970, leap days, the last microsecond of a day or year)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa

from features.engine import connect, register_arrow
from features.pipeline.dates import EPOCH, utc_calendar

STAMPS = [
    dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.timezone.utc),
    dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc),
    dt.datetime(1900, 3, 1, 12, tzinfo=dt.timezone.utc),
    dt.datetime(2000, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc),
    dt.datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.timezone.utc),
    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    dt.datetime(2024, 11, 30, 23, 0, tzinfo=dt.timezone.utc),
]


def _stamps_table(backend: ibis.BaseBackend) -> ibis.Table:
    return register_arrow(backend, pa.table({"ts": pa.array(STAMPS, pa.timestamp("us", tz="UTC"))}))


def test_utc_calendar_matches_python() -> None:
    backend = connect("duckdb")
    table = _stamps_table(backend)
    result = backend.to_pandas(table.select("ts", **utc_calendar(table.ts, "duckdb"))).sort_values("ts")
    expected = pd.DataFrame(
        {
            "day": [(stamp.date() - EPOCH).days for stamp in sorted(STAMPS)],
            "month": [stamp.month for stamp in sorted(STAMPS)],
            "month_index": [stamp.year * 12 + stamp.month for stamp in sorted(STAMPS)],
        }
    )
    pd.testing.assert_frame_equal(
        result[["day", "month", "month_index"]].reset_index(drop=True), expected, check_dtype=False
    )


def test_utc_calendar_is_the_generic_extraction_on_duckdb() -> None:
    """The DuckDB shortcut and Ibis' generic (time-zone converting) extraction agree."""
    backend = connect("duckdb")
    table = _stamps_table(backend)
    fast = backend.to_pandas(table.select(**utc_calendar(table.ts, "duckdb")))
    generic = backend.to_pandas(table.select(**utc_calendar(table.ts, "generic")))
    pd.testing.assert_frame_equal(fast, generic, check_dtype=False)
