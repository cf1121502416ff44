"""The customer-record contract: one row per customer account in one source system.

A record says who a source system believes its customer is (name, email, phone, ...). Identity
resolution reads only this table, so every source is mapped onto these columns first. Values are
kept as delivered (trimmed); comparison keys are derived later by `normalize`. `date_of_birth` stays
text because sources write it in several formats and the right reading can depend on the country.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from features.ingest.id_map import KEY_COLUMNS

REQUIRED_COLUMNS: tuple[str, ...] = KEY_COLUMNS
IDENTIFYING_COLUMNS: tuple[str, ...] = (
    "full_name",
    "email",
    "phone",
    "date_of_birth",
    "address",
    "city",
    "postcode",
    "country",
    "loyalty_card",
)
TIME_COLUMNS: tuple[str, ...] = ("created_at", "updated_at")
OPTIONAL_COLUMNS: tuple[str, ...] = IDENTIFYING_COLUMNS + TIME_COLUMNS
RECORD_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

RECORD_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_customer_id", pa.string(), nullable=False),
        pa.field("full_name", pa.string()),
        pa.field("email", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("date_of_birth", pa.string()),
        pa.field("address", pa.string()),
        pa.field("city", pa.string()),
        pa.field("postcode", pa.string()),
        pa.field("country", pa.string()),
        pa.field("loyalty_card", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


def missing_required_columns(columns: pd.Index | list[str]) -> list[str]:
    """Required record columns absent from `columns`, in contract order."""
    return [c for c in REQUIRED_COLUMNS if c not in columns]


def to_record_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` with exactly the record columns, in order and with contract dtypes.

    Text is trimmed and blank text becomes missing; absent optional columns are added as all-null;
    `country` is upper-cased (ISO 3166 alpha-2); naive timestamps are read as UTC. Raises
    ValueError naming the first missing required column or the first row without a key.
    """
    missing = missing_required_columns(df.columns)
    if missing:
        raise ValueError(
            f"customer records lack required column '{missing[0]}' "
            f"(required: {', '.join(REQUIRED_COLUMNS)})"
        )
    out = pd.DataFrame(index=df.index)
    for field in RECORD_SCHEMA:
        name = field.name
        col = df[name] if name in df.columns else pd.Series(None, index=df.index, dtype="object")
        if pa.types.is_string(field.type):
            out[name] = _clean_text(col)
        else:
            out[name] = _utc_timestamps(col)
    out["country"] = out["country"].str.upper()
    for name in REQUIRED_COLUMNS:
        empty = out[name].isna()
        if empty.any():
            row = int(empty.to_numpy().nonzero()[0][0])
            raise ValueError(f"customer records: row {row} has an empty '{name}'; every record needs "
                             f"{' and '.join(KEY_COLUMNS)}")
    return out.reset_index(drop=True)


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """Record frame -> Arrow table with the contract's schema (checks nullability too)."""
    return pa.Table.from_pandas(to_record_frame(df), schema=RECORD_SCHEMA, preserve_index=False)


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _utc_timestamps(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, utc=True, format="mixed")
    return parsed.astype("datetime64[us, UTC]")
