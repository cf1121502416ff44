"""The canonical transactions as an engine table, and engine results back as pandas.

These are the pipeline's only pandas edges: a pandas frame is validated against the transaction
contract and handed to the engine; a Parquet path is read by the engine itself (out-of-core).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from features.engine import read_parquet, register_arrow
from features.schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, TRANSACTION_SCHEMA, to_arrow

Transactions = pd.DataFrame | str | os.PathLike[str]
Events = pd.DataFrame | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A canonical event frame, a Parquet path (an `insight ingest-events` directory), or several paths
(one per source: email platform, web analytics, service desk) read as one table."""


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


def events_table(backend: ibis.BaseBackend, events: Events) -> ir.Table:
    """The events with every canonical event column, from a frame, a path or several paths."""
    from features.events.schema import EVENT_SCHEMA, EVENTS_FILE, events_to_arrow

    if isinstance(events, pd.DataFrame):
        return register_arrow(backend, events_to_arrow(events))
    paths = [events] if isinstance(events, (str, os.PathLike)) else list(events)
    if not paths or not all(isinstance(p, (str, os.PathLike)) for p in paths):
        raise TypeError("events must be a canonical event DataFrame, a Parquet path or a list of paths")
    tables = []
    for path in paths:
        table = read_parquet(backend, path, EVENTS_FILE, "insight ingest-events")
        missing = [f.name for f in EVENT_SCHEMA if not f.nullable and f.name not in table.columns]
        if missing:
            raise ValueError(f"{path}: events lack required column '{missing[0]}'; "
                             f"write them with `insight ingest-events`")
        absent = {f.name: ibis.null().cast(ibis.dtype(f.type)) for f in EVENT_SCHEMA if f.name not in table.columns}
        tables.append(table.mutate(**absent).select(*EVENT_SCHEMA.names))
    return tables[0] if len(tables) == 1 else ibis.union(*tables)


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
