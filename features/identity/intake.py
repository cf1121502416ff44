"""Read customer-record files and validate them row by row, quarantining what cannot be used.

Files are read by the transaction readers (CSV, Parquet, Excel, DuckDB; features/ingest/readers.py)
either with a record mapping file (features/identity/mapping.py: which source column feeds which
record field, constants such as `source`, how times are written) or, without one, in the record
contract's own column names (features/identity/records.py; other columns are ignored). A row is
quarantined, with the transaction quarantine's columns (source_file, source_sheet, source_row,
reason, field, detail, raw: the row as read, as JSON), when it has no source or
source_customer_id, an unreadable created_at/updated_at, or repeats a (source,
source_customer_id) already seen (the most recently updated copy is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from features.identity.mapping import RecordMapping, contract_mapping, load_record_mapping
from features.identity.records import (
    KEY_COLUMNS,
    RECORD_COLUMNS,
    TIME_COLUMNS,
    missing_required_columns,
    to_record_frame,
)
from features.ingest.mapping import MappingError, ParseOptions
from features.ingest.readers import BOOKKEEPING, SourceError, delimiter_hint, read_source
from features.ingest.timestamps import parse_timestamps
from features.ingest.text import clean_text

QUARANTINE_COLUMNS = ("source_file", "source_sheet", "source_row", "reason", "field", "detail", "raw")
CONTRACT_SUFFIXES = (".csv", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls", ".ods")
_VERDICT = ("_reason", "_field", "_detail")


class RecordFileError(ValueError):
    """A record file or mapping that cannot be used at all; the message names it and what to do."""


@dataclass(frozen=True)
class RecordSource:
    """One record file and the mapping file that reads it (None: the file uses contract names)."""

    path: str
    mapping: Path | None = None

    @classmethod
    def parse(cls, text: str, default_mapping: Path | None = None) -> RecordSource:
        """`PATH` or `PATH:MAPPING.toml` as written on the command line; a bare PATH gets the default."""
        head, sep, tail = text.rpartition(":")
        if sep and head and tail.lower().endswith(".toml") and not Path(text).exists():
            return cls(head, Path(tail))
        return cls(text, default_mapping)


@dataclass(frozen=True)
class RecordIntake:
    """Valid records (record contract), quarantined rows with their reasons, and counts per file."""

    records: pd.DataFrame
    quarantine: pd.DataFrame
    files: dict[str, dict[str, Any]]


def read_record_files(sources: Sequence[str | Path | RecordSource]) -> RecordIntake:
    """Records from every source, validated together (duplicates are found across files)."""
    if not sources:
        raise RecordFileError("give at least one customer-record file")
    chosen = [s if isinstance(s, RecordSource) else RecordSource(str(s)) for s in sources]
    seen: set[str] = set()
    for source in chosen:
        if source.path in seen:
            raise RecordFileError(f"{source.path}: given twice; give each record file once")
        seen.add(source.path)
    raws, mapped = [], []
    for number, source in enumerate(chosen):
        raw, records = _read_one(source)
        raws.append(raw)
        mapped.append(records.assign(_file=number))
    intake = validate_records(pd.concat(mapped, ignore_index=True), raws)
    return RecordIntake(intake.records, intake.quarantine, _file_counts(chosen, raws, intake.quarantine))


def validate_records(mapped: pd.DataFrame, raws: Sequence[pd.DataFrame]) -> RecordIntake:
    """Split `mapped` (from `map_records`, with `_file` numbering `raws`) into records and quarantine.

    Checks run in order and a row gets the first reason: missing key, unreadable time, duplicate.
    Counts per file are left empty; `read_record_files`, which knows the files, adds them.
    """
    mapped = mapped.reset_index(drop=True)
    reason = pd.Series(pd.NA, index=mapped.index, dtype="string")
    field = reason.copy()
    detail = reason.copy()

    def flag(mask: pd.Series, why: pd.Series | str, column: pd.Series | str, text: pd.Series | str) -> None:
        new = mask & reason.isna()
        for target, value in ((reason, why), (field, column), (detail, text)):
            target[new] = value[new] if isinstance(value, pd.Series) else value

    for column in KEY_COLUMNS:
        flag(_blank(mapped[column]), "missing_value", column, f"{column} is empty; every record needs one")
    flag(mapped["_reason"].notna(), mapped["_reason"], mapped["_field"], mapped["_detail"])

    usable = mapped[reason.isna()]
    records = to_record_frame(usable[list(RECORD_COLUMNS)])
    records.index = usable.index
    newest_first = records.sort_values("updated_at", ascending=False, na_position="last", kind="stable")
    repeated = newest_first.duplicated(list(KEY_COLUMNS), keep="first")
    repeated = repeated.reindex(mapped.index, fill_value=False)
    flag(repeated, "duplicate_record", "source_customer_id",
         "this (source, source_customer_id) appears again, updated later or at the same time; "
         "that copy is kept")
    kept = records.loc[records.index.isin(mapped.index[reason.isna()])]
    return RecordIntake(kept.reset_index(drop=True), _quarantine(mapped, raws, reason, field, detail), {})


def map_records(raw: pd.DataFrame, mapping: RecordMapping, *, contract: bool = False) -> pd.DataFrame:
    """Record columns of `raw` (from read_source) as `mapping` says, with each row's position and a
    verdict (`_reason`, `_field`, `_detail`) for times that cannot be read.

    Times follow the mapping's [parse], as transaction timestamps do; a `contract` file (no
    mapping) reads each value on its own, naive times as UTC.
    """
    out = pd.DataFrame(index=raw.index)
    verdict = {name: pd.Series(pd.NA, index=raw.index, dtype="string") for name in _VERDICT}
    for name in RECORD_COLUMNS:
        values = _field_values(raw, mapping, name)
        if name not in TIME_COLUMNS:
            out[name] = _text(values)
            continue
        out[name] = _times(values, None if contract else mapping)
        bad = out[name].isna() & ~_blank(values) & verdict["_reason"].isna()
        verdict["_reason"][bad], verdict["_field"][bad] = "bad_timestamp", name
        verdict["_detail"][bad] = ("cannot read '" + values.astype("string") + "' as a time"
                                   + _format_hint(mapping, contract))
    for name in BOOKKEEPING:
        out[name] = raw[name]
    out["_position"] = range(len(raw))
    return out.assign(**verdict)


def _read_one(source: RecordSource) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file as read (for the quarantine's raw values) and its rows mapped to record columns."""
    mapping = _load_mapping(source)
    try:
        raw = read_source(source.path, mapping or contract_mapping(list(KEY_COLUMNS)))
    except SourceError as exc:
        raise RecordFileError(str(exc)) from exc
    if mapping is None:
        missing = missing_required_columns(raw.columns)
        if missing:
            raise RecordFileError(
                f"{source.path}: no column '{missing[0]}' (customer records need {', '.join(KEY_COLUMNS)}; "
                f"rename the columns or give a mapping file with --mapping; see docs/identity.md)")
        return raw, map_records(raw, contract_mapping(list(raw.columns)), contract=True)
    _require_columns(raw, mapping, source)
    return raw, map_records(raw, mapping)


def _load_mapping(source: RecordSource) -> RecordMapping | None:
    """The source's record mapping, or None after checking a contract file's format is known."""
    if source.mapping is None:
        suffix = Path(source.path).suffix.lower()
        if Path(source.path).exists() and suffix not in CONTRACT_SUFFIXES:
            raise RecordFileError(
                f"{source.path}: cannot read '{suffix}' files without a mapping; give CSV, Parquet or "
                f"Excel ({', '.join(CONTRACT_SUFFIXES)}), or a mapping file whose [source] format says "
                f"how to read it")
        return None
    try:
        return load_record_mapping(source.mapping)
    except MappingError as exc:
        raise RecordFileError(f"{source.path}: mapping {exc}") from exc


def _require_columns(raw: pd.DataFrame, mapping: RecordMapping, source: RecordSource) -> None:
    """Fail naming the file, the first mapped column it lacks and the mapping line to correct."""
    present = [str(c) for c in raw.columns if c not in BOOKKEEPING]
    for name, column in mapping.columns.items():
        if column not in raw.columns:
            raise RecordFileError(
                f"{source.path}: column '{column}' (mapped to {name}) not found; columns present: "
                f"{', '.join(present)}{delimiter_hint(present)}; correct `{name} = \"...\"` under "
                f"[columns] in {source.mapping}")


def _field_values(raw: pd.DataFrame, mapping: RecordMapping, name: str) -> pd.Series:
    """The source values of one record field: its mapped column, its constant, or all missing."""
    if name in mapping.columns:
        return raw[mapping.columns[name]]
    if name in mapping.constants:
        return pd.Series(mapping.constants[name], index=raw.index, dtype="string")
    return pd.Series(pd.NA, index=raw.index, dtype="string")


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text (blank -> missing); real dates (Excel, Parquet) as ISO days, the birth-date form."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d")
    return clean_text(values)


def _times(values: pd.Series, mapping: RecordMapping | None) -> pd.Series:
    """Times in UTC, NaT where unreadable: by the mapping's [parse], or (contract files) each value
    on its own with naive times in UTC."""
    return parse_timestamps(values, ParseOptions() if mapping is None else mapping.parse)


def _format_hint(mapping: RecordMapping, contract: bool) -> str:
    """The mapping's time format, when one was given, to show next to an unreadable time."""
    fmt = mapping.parse.timestamp_format
    return "" if contract or fmt is None else f" with format '{fmt}'"


def _blank(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return (text.isna() | (text == "")).astype(bool)


def _quarantine(mapped: pd.DataFrame, raws: Sequence[pd.DataFrame], reason: pd.Series, field: pd.Series,
                detail: pd.Series) -> pd.DataFrame:
    """Quarantined rows: where they came from, why, and the row as read (source columns) as JSON."""
    bad = reason.notna().to_numpy()
    rows = mapped.loc[bad]
    raw_values = pd.Series(pd.NA, index=rows.index, dtype="string")
    for number, group in rows.groupby("_file", sort=False):
        source = raws[int(number)]
        shown = source.iloc[group["_position"].to_numpy()][[c for c in source.columns if c not in BOOKKEEPING]]
        lines = shown.to_json(orient="records", lines=True, date_format="iso").rstrip("\n").split("\n")
        raw_values[group.index] = lines
    return pd.DataFrame(
        {
            "source_file": rows["_source_file"].astype("string").to_numpy(),
            "source_sheet": rows["_source_sheet"].astype("string").to_numpy(),
            "source_row": rows["_source_row"].astype("int64").to_numpy(),
            "reason": reason[bad].to_numpy(),
            "field": field[bad].to_numpy(),
            "detail": detail[bad].to_numpy(),
            "raw": raw_values.to_numpy(),
        },
        columns=list(QUARANTINE_COLUMNS),
    )


def _file_counts(sources: Sequence[RecordSource], raws: Sequence[pd.DataFrame],
                 quarantine: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Records in, resolved and quarantined (by reason) per input file, for the report."""
    counts = {}
    for source, raw in zip(sources, raws, strict=True):
        reasons = quarantine.loc[quarantine["source_file"] == source.path, "reason"]
        counts[source.path] = {
            "mapping": None if source.mapping is None else str(source.mapping),
            "records_in": len(raw),
            "records_resolved": len(raw) - len(reasons),
            "records_quarantined": len(reasons),
            "quarantined_by_reason": {str(k): int(v) for k, v in reasons.value_counts().sort_index().items()},
        }
    return counts
