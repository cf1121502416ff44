"""The canonical transaction table: the one data contract every later step reads.

One row per order line (or per order when the source has no lines). `amount` is in currency
units and negative for returns and refunds. Stored as Parquet with the Arrow schema below.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "order_id", "timestamp", "amount")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "quantity",
    "product_id",
    "category",
    "channel",
    "region",
    "source",
    "source_customer_id",
)
CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

TRANSACTION_SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
        pa.field("quantity", pa.float64()),
        pa.field("product_id", pa.string()),
        pa.field("category", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("region", pa.string()),
        pa.field("source", pa.string()),
        pa.field("source_customer_id", pa.string()),
    ]
)

TRANSACTIONS_FILE = "transactions.parquet"


def to_canonical_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` with exactly the canonical columns, in order and with canonical dtypes.

    Optional columns that are absent are added as all-null, so every consumer can rely on the
    full set. Raises ValueError naming the first missing required column.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"transactions lack required column '{missing[0]}' "
            f"(required: {', '.join(REQUIRED_COLUMNS)})"
        )
    out = pd.DataFrame(index=df.index)
    for field in TRANSACTION_SCHEMA:
        name = field.name
        col = df[name] if name in df.columns else pd.Series(None, index=df.index, dtype="object")
        if pa.types.is_string(field.type):
            out[name] = col.astype("string")
        elif pa.types.is_timestamp(field.type):
            ts = pd.to_datetime(col, utc=True)
            out[name] = ts.astype("datetime64[us, UTC]")
        else:
            out[name] = pd.to_numeric(col).astype("float64")
    return out.reset_index(drop=True)


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """Canonical frame -> Arrow table with the contract's schema (checks nullability too)."""
    frame = to_canonical_frame(df)
    return pa.Table.from_pandas(frame, schema=TRANSACTION_SCHEMA, preserve_index=False)
