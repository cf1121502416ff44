"""Read a raw source into a pandas DataFrame, keeping where each row came from.

Every frame returned has three bookkeeping columns besides the source's own: `_source_file`,
`_source_sheet` (Excel sheet or database table, else empty) and `_source_row` (1-based data row
number within that file or sheet, header not counted), so a quarantined row can be found again.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
from python_calamine import CalamineError

from features.ingest.mapping import SourceOptions

BOOKKEEPING = ("_source_file", "_source_sheet", "_source_row")
_DATABASE_PREFIXES = {"postgres:": "postgres", "postgresql:": "postgres", "mysql:": "mysql"}
_DATABASE_SUFFIXES = {".duckdb": "duckdb", ".ddb": "duckdb", ".sqlite": "sqlite", ".db": "sqlite"}
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_MANGLED = re.compile(r"^(.*)\.(\d+)$")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_DELIMITERS = {";": "';'", "\t": "'\\t' (tab)", "|": "'|'", ",": "','"}


class SourceError(ValueError):
    """A source that cannot be read; the message names the file and the reason."""


class Readable(Protocol):
    """Any mapping with `[source]` options: a transaction mapping or a customer-record mapping."""

    @property
    def source(self) -> SourceOptions: ...


def detect_format(source: str, options: SourceOptions) -> str:
    """The reader to use: the mapping's explicit format, else inferred from the path."""
    if options.format != "auto":
        return options.format
    lowered = source.lower()
    if any(lowered.startswith(p) for p in _DATABASE_PREFIXES):
        return "database"
    suffix = Path(lowered).suffix
    if lowered.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv", ".gz"):
        return "csv"
    if suffix in (".parquet", ".pq") or Path(source).is_dir():
        return "parquet"
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        return "excel"
    if suffix in _DATABASE_SUFFIXES:
        return "database"
    raise SourceError(
        f"{source}: cannot tell the format from the name; set [source] format in the mapping "
        f"(csv, parquet, jsonl, excel or database)"
    )


def read_source(source: str, mapping: Readable) -> pd.DataFrame:
    """Read `source` as `mapping` says; raises SourceError with the file name on failure."""
    fmt = detect_format(source, mapping.source)
    if fmt != "database":
        _check_path(source, fmt)
    try:
        if fmt == "csv":
            frames = [_read_csv(source, mapping.source)]
        elif fmt == "parquet":
            frame = pd.read_parquet(source)
            _refuse_duplicate_headers(source, list(frame.columns), lambda: list(frame.columns))
            frames = [_with_position(frame, source, "")]
        elif fmt == "excel":
            frames = _read_excel(source, mapping.source)
        elif fmt == "jsonl":
            frames = [_read_jsonl(source, mapping.source)]
        else:
            frames = [_read_database(source, mapping.source)]
    except SourceError:
        raise
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{source}: not {exc.encoding} text (byte 0x{exc.object[exc.start]:02x} near byte "
            f"{exc.start}); set [source] encoding in the mapping (e.g. \"cp1252\" or \"latin-1\")"
        ) from exc
    except (EOFError, zlib.error) as exc:
        raise SourceError(f"{source}: the compressed file is damaged or truncated ({exc})") from exc
    except (duckdb.Error, OSError, ValueError, LookupError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{source}: cannot read as {fmt}: {reason}") from exc
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame


def read_columns(source: str, options: SourceOptions = SourceOptions()) -> list[str]:
    """The column names of a CSV, Parquet or Excel source (first sheet), reading only its header."""
    fmt = detect_format(source, options)
    if fmt == "database":
        raise SourceError(f"{source}: a database source needs a mapping (--mapping FILE) to be read")
    _check_path(source, fmt)
    try:
        if fmt == "csv":
            return [c for c in _read_csv(source, options, nrows=0).columns if c not in BOOKKEEPING]
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(source).names) if Path(source).is_file() else list(
                pd.read_parquet(source).columns)
        if fmt == "excel":
            return list(pd.read_excel(source, sheet_name=0, nrows=0, engine="calamine").columns)
    except SourceError:
        raise
    except (EOFError, zlib.error, OSError, ValueError, UnicodeDecodeError, CalamineError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{source}: cannot read as {fmt}: {reason}") from exc
    raise SourceError(f"{source}: a {fmt} source needs a mapping (--mapping FILE) to be read")


def delimiter_hint(columns: list[str]) -> str:
    """A hint when a one-column header looks split by another delimiter than the mapping's."""
    if len(columns) != 1:
        return ""
    found = [shown for char, shown in _DELIMITERS.items() if char in str(columns[0])]
    return f"; the header looks delimited by {found[0]}: set [source] delimiter" if found else ""


def _check_path(source: str, fmt: str) -> None:
    """Fail early, naming the path, when it is missing, a dangling link, or the wrong kind of file."""
    path = Path(source)
    if path.is_symlink() and not path.exists():
        raise SourceError(f"{source}: a symbolic link to {path.readlink()}, which does not exist")
    if not path.exists():
        raise SourceError(f"{source}: file not found")
    if path.is_dir() and fmt != "parquet":
        raise SourceError(f"{source}: a directory, not a {fmt} file")
    if fmt == "excel" and path.is_file():
        with path.open("rb") as handle:
            head = handle.read(4)
        if not head.startswith(_WORKBOOK_SIGNATURES):
            raise SourceError(
                f"{source}: not an Excel workbook (no zip or OLE signature); if it is text such as "
                f"CSV, set [source] format = \"csv\" in the mapping or rename the file")


def _refuse_duplicate_headers(source: str, columns: list, read_header) -> None:
    """Refuse a header naming two columns alike: pandas would rename one ('x.1') and the mapping
    would silently read the first. `read_header` returns the header cells as written."""
    suspects = {str(c) for c in columns if (m := _MANGLED.match(str(c))) and m.group(1) in map(str, columns)}
    duplicated_frame = [str(c) for c, n in Counter(map(str, columns)).items() if n > 1]
    if not suspects and not duplicated_frame:
        return
    names = [str(c).strip() for c in read_header() if not pd.isna(c)]
    repeated = [name for name, n in Counter(names).items() if n > 1 and name] or duplicated_frame
    if repeated:
        positions = {name: [i + 1 for i, n in enumerate(names) if n == name] for name in repeated}
        shown = "; ".join(f"'{n}' (columns {', '.join(map(str, p))})" for n, p in positions.items())
        raise SourceError(f"{source}: the header repeats {shown}; give each column its own name")


def _with_position(frame: pd.DataFrame, file: str, sheet: str) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame["_source_file"] = file
    frame["_source_sheet"] = sheet
    frame["_source_row"] = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _read_csv(source: str, options: SourceOptions, nrows: int | None = None) -> pd.DataFrame:
    kwargs: dict = {
        "nrows": nrows,
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "encoding": options.encoding,
    }
    if options.whitespace_delimited:
        kwargs["sep"] = r"\s+"
    else:
        kwargs["sep"] = "\t" if source.lower().endswith(".tsv") else options.delimiter
    if not options.header:
        kwargs["header"] = None
        kwargs["names"] = options.column_names
    try:
        frame = pd.read_csv(source, **kwargs)
        if options.header:
            header_kwargs = {k: v for k, v in kwargs.items() if k in ("sep", "encoding")}
            _refuse_duplicate_headers(
                source, list(frame.columns),
                lambda: pd.read_csv(source, header=None, nrows=1, dtype=str, **header_kwargs).iloc[0].tolist())
    except pd.errors.EmptyDataError as exc:
        raise SourceError(f"{source}: the file is empty") from exc
    except pd.errors.ParserError as exc:
        raise SourceError(f"{source}: malformed CSV: {str(exc).strip()}") from exc
    return _with_position(frame, source, "")


def _read_jsonl(source: str, options: SourceOptions) -> pd.DataFrame:
    """JSON Lines (one object per line, optionally gzipped): nested objects are flattened into
    dotted columns (`event_params.page_location`), arrays kept as JSON text. `_source_row` is
    the line number; a line that is not a JSON object is an error naming it."""
    opener = gzip.open if source.lower().endswith(".gz") else open
    records, lines = [], []
    with opener(source, "rt", encoding=options.encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceError(f"{source}: line {number} is not valid JSON ({exc.msg} at column "
                                  f"{exc.colno})") from exc
            if not isinstance(record, dict):
                raise SourceError(f"{source}: line {number} is a JSON {type(record).__name__}, not an object")
            records.append(record)
            lines.append(number)
    if not records:
        raise SourceError(f"{source}: the file is empty")
    frame = pd.json_normalize(records, sep=".")
    for column in frame.columns[frame.dtypes == object]:
        nested = frame[column].map(lambda v: isinstance(v, (list, dict)))
        if nested.any():
            frame[column] = frame[column].where(~nested, frame[column][nested].map(json.dumps))
    frame = _with_position(frame, source, "")
    frame["_source_row"] = lines
    return frame


def _read_excel(source: str, options: SourceOptions) -> list[pd.DataFrame]:
    try:
        sheets = pd.read_excel(source, sheet_name=options.sheets or None, engine="calamine")
    except CalamineError as exc:
        raise SourceError(f"{source}: cannot read the workbook (damaged or truncated?): {exc}") from exc
    if not sheets:
        raise SourceError(f"{source}: the workbook has no sheets")
    for name, sheet in sheets.items():
        _refuse_duplicate_headers(
            f"{source} sheet '{name}'", list(sheet.columns),
            lambda name=name: pd.read_excel(source, sheet_name=name, header=None, nrows=1,
                                            engine="calamine").iloc[0].tolist())
    names = list(sheets)
    expected = list(sheets[names[0]].columns)
    for name in names[1:]:
        if list(sheets[name].columns) != expected:
            raise SourceError(
                f"{source}: sheet '{name}' has columns {list(sheets[name].columns)}, "
                f"unlike sheet '{names[0]}' ({expected})"
            )
    return [_with_position(frame, source, name) for name, frame in sheets.items()]


def _read_database(source: str, options: SourceOptions) -> pd.DataFrame:
    if not options.query and not options.table:
        raise SourceError(f"{source}: a database source needs [source] table or query in the mapping")
    query = options.query or f'SELECT * FROM "{options.table}"'
    kind = next((k for p, k in _DATABASE_PREFIXES.items() if source.lower().startswith(p)), None)
    kind = kind or _DATABASE_SUFFIXES.get(Path(source.lower()).suffix, "duckdb")
    if kind == "duckdb":
        with duckdb.connect(source, read_only=True) as con:
            frame = con.execute(query).df()
    else:
        with duckdb.connect() as con:
            try:
                con.execute(f"ATTACH '{source}' AS src (TYPE {kind}, READ_ONLY)")
            except duckdb.Error as exc:
                raise SourceError(
                    f"{source}: DuckDB could not attach this {kind} database ({exc}); "
                    f"its '{kind}' extension must be installed for DuckDB, or export the table to "
                    f"Parquet/CSV first"
                ) from exc
            con.execute("USE src")
            frame = con.execute(query).df()
    return _with_position(frame, source, options.table or "query")
