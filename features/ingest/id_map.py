"""The id map contract and re-keying by it: (source, source_customer_id) -> customer_id.

`insight resolve` writes the id map; ingest (transactions) and event ingest re-key rows with it.
It lives with ingest, below identity resolution, so reading an id map needs none of the linkage.
"""

from __future__ import annotations

import pandas as pd

KEY_COLUMNS: tuple[str, str] = ("source", "source_customer_id")
"""Which system a row came from and that system's id of the customer."""
ID_MAP_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "customer_id")


def apply_id_map(transactions: pd.DataFrame, id_map: pd.DataFrame) -> pd.DataFrame:
    """`transactions` with customer_id replaced by the unified customer for rows whose (source,
    source_customer_id) is in `id_map`; other rows, and logs without those columns, pass through."""
    missing = [c for c in ID_MAP_COLUMNS if c not in id_map.columns]
    if missing:
        raise ValueError(f"id map lacks column '{missing[0]}'; use id_map.parquet written by `insight resolve`")
    keys = id_map[list(ID_MAP_COLUMNS)].astype("string")
    if keys.duplicated(list(KEY_COLUMNS)).any():
        row = keys[keys.duplicated(list(KEY_COLUMNS))].iloc[0]
        raise ValueError(f"id map lists ({row['source']}, {row['source_customer_id']}) twice")
    if not set(KEY_COLUMNS) <= set(transactions.columns):
        return transactions
    lookup = transactions[list(KEY_COLUMNS)].astype("string").merge(keys, on=list(KEY_COLUMNS), how="left")
    unified = pd.Series(lookup["customer_id"].to_numpy(), index=transactions.index, dtype="string")
    out = transactions.copy()
    out["customer_id"] = unified.fillna(transactions["customer_id"].astype("string")).astype(
        transactions["customer_id"].dtype)
    return out
