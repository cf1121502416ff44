"""Read a timestamp column into UTC instants, value by value, counting which form each value had.

Values with a UTC offset (`+07:00`, `Z`) are instants and are converted to UTC; naive values are
read in the mapping's time zone; real date cells (Excel, Parquet) are taken as they are. With
`[parse] timestamp_format` every text value must match it; with `timestamp_unit` values are
numbers since 1970 (UTC). Without either, ISO 8601 forms are read in bulk and whatever is left is
read in the form pandas guesses from its first value, then (unless shaped like that form, which
would read day and month both ways in one column) one value at a time. Unreadable
values become NaT for the caller to quarantine; nothing here fails a whole column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from features.ingest.mapping import ParseOptions
from features.ingest.text import clean_text

_TIME = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
ISO_NAIVE = rf"^\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]{_TIME})?$"
ISO_OFFSET = rf"^\d{{4}}-\d{{2}}-\d{{2}}[T ]{_TIME} ?(?:Z|[+-]\d{{2}}(?::?\d{{2}})?)$"
_EPOCH_LIKE = r"^-?\d{9,17}(?:\.\d+)?$"
_UTC = "datetime64[us, UTC]"


@dataclass(frozen=True)
class ParsedTimestamps:
    """UTC instants (NaT where a value cannot be read) and how many values each form matched."""

    values: pd.Series
    formats: dict[str, int] = field(default_factory=dict)


def parse_timestamps(values: pd.Series, options: ParseOptions) -> pd.Series:
    """Timestamps in UTC (datetime64[us, UTC]); unreadable values are NaT."""
    return read_timestamps(values, options).values


def read_timestamps(values: pd.Series, options: ParseOptions) -> ParsedTimestamps:
    """Timestamps in UTC and a count of values per form they were read in."""
    found = _Found(values.index)
    if pd.api.types.is_datetime64_any_dtype(values):
        found.add(_to_utc(values[values.notna()], options.timezone), "date cells")
        return found.result()
    text = clean_text(values)
    if values.dtype == object:
        cells = values.map(lambda v: isinstance(v, dt.date)).astype(bool)
        if cells.any():
            found.add(_to_utc(_cell_stamps(values[cells]), options.timezone), "date cells")
            text = text.mask(cells)
    todo = text.notna() & (text != "")
    if options.timestamp_unit is not None:
        found.add(_epoch(text[todo], options.timestamp_unit), f"timestamp_unit '{options.timestamp_unit}'")
    elif options.timestamp_format is not None:
        found.add(_with_format(text[todo], options.timestamp_format, options),
                  f"timestamp_format '{options.timestamp_format}'")
    else:
        _read_free_form(text, todo, found, options)
    return found.result()


def _shape(text: pd.Series) -> pd.Series:
    """Digits runs as one '0': '5/1/2024 10:00' and '13/01/2024 9:30' have the same shape.

    A value shaped like the guessed form that does not match it (13/01/2024 under %m/%d/%Y) is
    a day/month order conflict: it stays unread rather than being read in the other order.
    """
    return text.str.replace(r"\d+", "0", regex=True)


def _guess_format(text: pd.Series, dayfirst: bool, tries: int = 20) -> tuple[str | None, str | None]:
    """The strptime form pandas guesses from the first of the first few distinct values it can."""
    for value in text.head(50 * tries).drop_duplicates().head(tries):
        guessed = guess_datetime_format(value, dayfirst=dayfirst)
        if guessed is not None:
            return value, guessed
    return None, None


class _Found:
    """The readable values found so far, by the form that read them."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.pieces: list[pd.Series] = []
        self.formats: dict[str, int] = {}

    def add(self, parsed: pd.Series, name: str) -> pd.Series:
        """Keep the readable values of `parsed`; returns the mask (over `index`) of those still NaT."""
        readable = parsed[parsed.notna()].astype(_UTC)
        if len(readable):
            self.pieces.append(readable)
            self.formats[name] = self.formats.get(name, 0) + len(readable)
        return parsed.isna()

    def result(self) -> ParsedTimestamps:
        out = (pd.concat(self.pieces) if self.pieces else pd.Series([], dtype=_UTC)).reindex(self.index)
        return ParsedTimestamps(out.astype(_UTC), self.formats)


def _read_free_form(text: pd.Series, todo: pd.Series, found: _Found, options: ParseOptions) -> None:
    """ISO 8601 in bulk (with and without offsets), then a guessed form, then value by value."""
    offset = todo & text.str.match(ISO_OFFSET).fillna(False).astype(bool)
    naive = todo & ~offset & text.str.match(ISO_NAIVE).fillna(False).astype(bool)
    if offset.any():
        found.add(pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce"),
                  "ISO 8601 with offset")
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        found.add(_to_utc(parsed, options.timezone), "ISO 8601")
    rest = text[todo & ~offset & ~naive]
    if rest.empty:
        return
    first, guessed = _guess_format(rest, options.dayfirst)
    if guessed is not None:
        unread = found.add(_with_format(rest, guessed, options), f"'{guessed}' (guessed from '{first}')")
        rest = rest[unread]
        rest = rest[_shape(rest) != _shape(pd.Series([first])).iat[0]]
    if not rest.empty:
        found.add(_one_by_one(rest, options), "other forms, read one by one")


def _cell_stamps(cells: pd.Series) -> pd.Series:
    """Real date cells (datetime or date objects) as one datetime Series."""
    try:
        return pd.to_datetime(cells.astype(object), errors="coerce")
    except (ValueError, TypeError):
        return pd.to_datetime(cells.astype(object), errors="coerce", utc=True)


def _to_utc(stamps: pd.Series, zone: str) -> pd.Series:
    """Aware stamps converted to UTC, naive ones read in `zone` (DST gaps shift forward)."""
    if getattr(stamps.dt, "tz", None) is None:
        stamps = stamps.dt.tz_localize(zone, ambiguous=np.zeros(len(stamps), dtype=bool),
                                       nonexistent="shift_forward")
    return stamps.dt.tz_convert("UTC")


def _with_format(text: pd.Series, fmt: str, options: ParseOptions) -> pd.Series:
    """Strictly `fmt`; a format with %z reads offsets as instants, one without reads naive times."""
    if "%z" in fmt or "%Z" in fmt:
        return pd.to_datetime(text, format=fmt, utc=True, errors="coerce")
    return _to_utc(pd.to_datetime(text, format=fmt, errors="coerce"), options.timezone)


def _epoch(text: pd.Series, unit: str) -> pd.Series:
    """Numbers since 1970-01-01 UTC in `unit`; non-numbers and out-of-range numbers are NaT."""
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = numbers.where(np.isfinite(numbers))
    per_second = {"s": 1, "ms": 1e3, "us": 1e6}[unit]
    in_range = numbers.abs() < 2e11 * per_second
    micros = (numbers.where(in_range) * (1e6 / per_second)).round()
    return pd.to_datetime(micros, unit="us", utc=True, errors="coerce")


def _one_by_one(text: pd.Series, options: ParseOptions) -> pd.Series:
    """Each distinct value read on its own (dateutil), offsets as instants, naive in the zone."""
    codes, distinct = pd.factorize(text)
    read = [_one(value, options) for value in distinct]
    parsed = pd.Series(pd.array(read, dtype=_UTC).take(codes, allow_fill=True), index=text.index)
    return parsed


def _one(value: str, options: ParseOptions) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(pd.to_datetime(value, dayfirst=options.dayfirst))
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if stamp is pd.NaT:
        return pd.NaT
    if stamp.tzinfo is None:
        try:
            stamp = stamp.tz_localize(options.timezone, ambiguous=False, nonexistent="shift_forward")
        except (ValueError, OverflowError):
            return pd.NaT
    return stamp.tz_convert("UTC")


def looks_like_epoch(text: pd.Series) -> pd.Series:
    """Values that look like seconds/milliseconds since 1970 (a hint for the quarantine detail)."""
    return text.astype("string").str.strip().str.match(_EPOCH_LIKE).fillna(False).astype(bool)
