"""The canonical transactions as an engine table, and engine results back as pandas.

These are the pipeline's only pandas edges: a pandas frame is validated against the transaction
contract and handed to the engine; a Parquet path is read by the engine itself (out-of-core).
"""

from __future__ import annotations

import os

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.engine import read_parquet, register_arrow
from features.schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, TRANSACTION_SCHEMA, to_arrow

Transactions = pd.DataFrame | str | os.PathLike[str]


def transactions_table(backend: ibis.BaseBackend, transactions: Transactions) -> ir.Table:
    """The transactions with every canonical column (absent optional ones as typed nulls)."""
    if isinstance(transactions, pd.DataFrame):
        return register_arrow(backend, to_arrow(transactions))
    if isinstance(transactions, (str, os.PathLike)):
        return _with_canonical_columns(read_parquet(backend, transactions))
    raise TypeError(
        "transactions must be a canonical pandas DataFrame or the path of a Parquet file/directory, "
        f"got {type(transactions).__name__}"
    )


def to_frame(backend: ibis.BaseBackend, table: ir.Table) -> pd.DataFrame:
    """Execute a per-customer `table` on `backend`; pandas, sorted by customer_id, RangeIndex.

    Sorting here rather than in the engine spares Spark a range-partitioning job per query.
    DuckDB results come through Arrow, faster than Ibis' own pandas conversion, with the same
    values and dtypes (see bench/README.md, "Features").
    """
    frame = backend.to_pyarrow(table).to_pandas() if backend.name == "duckdb" else backend.to_pandas(table)
    return frame.sort_values("customer_id", ignore_index=True)


def _with_canonical_columns(table: ir.Table) -> ir.Table:
    missing = [name for name in REQUIRED_COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(
            f"transactions lack required column '{missing[0]}' "
            f"(required: {', '.join(REQUIRED_COLUMNS)}); convert them with features.schema first"
        )
    arrow_types = {field.name: field.type for field in TRANSACTION_SCHEMA}
    absent = {
        name: ibis.null().cast(ibis.dtype(arrow_types[name]))
        for name in OPTIONAL_COLUMNS
        if name not in table.columns
    }
    return table.mutate(**absent).select(*(field.name for field in TRANSACTION_SCHEMA))
