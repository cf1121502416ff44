"""Read customer-record files and validate them row by row, quarantining what cannot be used.

Files are CSV or Parquet with the record contract's column names (features/identity/records.py);
unknown columns are ignored. A row is quarantined, with the same columns as the transaction
quarantine (source_file, source_row, reason, field, detail, raw), when it has no source or
source_customer_id, an unreadable created_at/updated_at, or repeats a (source,
source_customer_id) already seen (the most recently updated copy is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.identity.records import (
    KEY_COLUMNS,
    RECORD_COLUMNS,
    TIME_COLUMNS,
    missing_required_columns,
    to_record_frame,
)

QUARANTINE_COLUMNS = ("source_file", "source_row", "reason", "field", "detail", "raw")
READABLE_SUFFIXES = (".csv", ".parquet", ".pq")


class RecordFileError(ValueError):
    """A record file that cannot be read at all (missing, wrong format, lacking a key column)."""


@dataclass(frozen=True)
class RecordIntake:
    """Valid records (record contract) and quarantined rows with their reasons."""

    records: pd.DataFrame
    quarantine: pd.DataFrame


def read_record_files(paths: Sequence[str | Path]) -> RecordIntake:
    """Records from every file in `paths`, validated together (duplicates are found across files)."""
    if not paths:
        raise RecordFileError("give at least one customer-record file")
    frames = [_read_one(Path(p)) for p in paths]
    return validate_records(pd.concat(frames, ignore_index=True))


def validate_records(raw: pd.DataFrame) -> RecordIntake:
    """Split `raw` (record columns plus _source_file/_source_row) into valid records and quarantine."""
    raw = raw.reset_index(drop=True)
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    field = reason.copy()
    detail = reason.copy()

    def flag(mask: pd.Series, why: str, column: str, text: pd.Series | str) -> None:
        new = mask & reason.isna()
        reason[new], field[new] = why, column
        detail[new] = text[new] if isinstance(text, pd.Series) else text

    for column in KEY_COLUMNS:
        flag(_blank(raw[column]), "missing_value", column, f"{column} is empty; every record needs one")
    for column in TIME_COLUMNS:
        if column in raw.columns:
            parsed = pd.to_datetime(raw[column], utc=True, format="mixed", errors="coerce")
            bad = parsed.isna() & ~_blank(raw[column])
            flag(bad, "bad_timestamp", column, "cannot read '" + raw[column].astype("string") + "' as a time")

    usable = raw[reason.isna()]
    records = to_record_frame(usable[[c for c in RECORD_COLUMNS if c in usable.columns]])
    records.index = usable.index
    newest_first = records.sort_values("updated_at", ascending=False, na_position="last", kind="stable")
    repeated = newest_first.duplicated(list(KEY_COLUMNS), keep="first")
    repeated = repeated.reindex(raw.index, fill_value=False)
    flag(repeated, "duplicate_record", "source_customer_id",
         "this (source, source_customer_id) appears again, updated later or at the same time; "
         "that copy is kept")
    kept = records.loc[records.index.isin(raw.index[reason.isna()])]
    return RecordIntake(kept.reset_index(drop=True), _quarantine(raw, reason, field, detail))


def _read_one(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise RecordFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise RecordFileError(f"{path}: cannot read '{suffix}' files; give CSV or Parquet "
                              f"({', '.join(READABLE_SUFFIXES)})")
    try:
        frame = (pd.read_csv(path, dtype="string", keep_default_na=False) if suffix == ".csv"
                 else pd.read_parquet(path))
    except (ValueError, OSError) as exc:
        raise RecordFileError(f"{path}: unreadable ({exc})") from exc
    missing = missing_required_columns(frame.columns)
    if missing:
        raise RecordFileError(f"{path}: no column '{missing[0]}' (customer records need "
                              f"{', '.join(KEY_COLUMNS)}; see docs/identity.md)")
    for column in RECORD_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame[list(RECORD_COLUMNS)].astype({c: "string" for c in RECORD_COLUMNS if c not in TIME_COLUMNS})
    frame["_source_file"] = str(path)
    frame["_source_row"] = range(1, len(frame) + 1)
    return frame


def _blank(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return (text.isna() | (text == "")).astype(bool)


def _quarantine(raw: pd.DataFrame, reason: pd.Series, field: pd.Series, detail: pd.Series) -> pd.DataFrame:
    bad = reason.notna().to_numpy()
    rows = raw.loc[bad]
    shown = rows[[c for c in RECORD_COLUMNS if c in raw.columns]]
    lines = shown.to_json(orient="records", lines=True, date_format="iso").rstrip("\n").split("\n")
    files = rows["_source_file"] if "_source_file" in raw else pd.Series(pd.NA, index=rows.index)
    positions = rows["_source_row"] if "_source_row" in raw else pd.Series(rows.index + 1, index=rows.index)
    return pd.DataFrame(
        {
            "source_file": files.astype("string").to_numpy(),
            "source_row": positions.astype("int64").to_numpy(),
            "reason": reason[bad].to_numpy(),
            "field": field[bad].to_numpy(),
            "detail": detail[bad].to_numpy(),
            "raw": pd.array(lines if len(rows) else [], dtype="string"),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
