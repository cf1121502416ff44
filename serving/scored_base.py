"""A scored base: the scores of a batch run joined to the feature snapshot of the same cutoff.

Audiences and the insight report both read it; the derived columns come from
`serving.audiences.customer_table`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from features.pipeline import load_snapshot
from serving.audiences import customer_table, require_scores
from serving.settings import snapshot_store
from serving.staging import output_format
from training.bases import Base, base_of_scores


def read_scores(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A file written by `insight score` (Parquet or CSV), checked for the score columns."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no scores here; run `insight score` first")
    try:
        table = (pd.read_csv(path, dtype={"customer_id": str}) if output_format(path) == "csv"
                 else pd.read_parquet(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as scores ({str(exc).splitlines()[0]})") from exc
    require_scores(table, path)
    return checked_scores(table, path)


PROBABILITIES = ("churn_probability", "p_purchase_30d", "p_purchase_90d")
AMOUNTS = ("predicted_clv", "expected_orders")


def checked_scores(table: pd.DataFrame, source: str | os.PathLike[str]) -> pd.DataFrame:
    """`table` with numeric score columns, refusing (ValueError naming the file, row and column) what
    `insight score` never writes: no rows, an empty or repeated customer_id, a score that is not a
    finite number (or is outside 0..1 for a probability, or is missing for a scored customer) and an
    as_of that is not a date; a CSV cut short ends in such a row. Rows count from 1 after the header."""
    def refuse(bad: pd.Series, column: str, why: str) -> None:
        if bad.any():
            row = int(bad.to_numpy().argmax())
            more = f" ({int(bad.sum()) - 1:,} more rows like it)" if bad.sum() > 1 else ""
            raise ValueError(f"{source}: row {row + 1:,}, {column}: {why.format(value=table[column].iloc[row])}"
                             f"{more}; give --scores a file written by `insight score`")

    if table.empty:
        raise ValueError(f"{source}: holds no scored customers; give --scores a file written by `insight score`")
    table = table.reset_index(drop=True)
    ids = table["customer_id"]
    refuse(ids.isna() | ids.astype("string").str.strip().eq(""), "customer_id", "is empty")
    refuse(ids.duplicated(), "customer_id", "'{value}' is repeated")
    scored = table["status"].eq("scored") if "status" in table else pd.Series(True, index=table.index)
    for column in [c for c in (*PROBABILITIES, *AMOUNTS) if c in table]:
        raw = table[column]
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        refuse(raw.notna() & values.isna(), column, "'{value}' is not a number")
        refuse(values.abs().eq(float("inf")), column, "'{value}' is not a finite number")
        refuse(values.isna() & scored, column, "is empty for a scored customer")
        if column in PROBABILITIES:
            refuse((values < 0) | (values > 1), column, "{value} is not a probability (0 to 1)")
        table[column] = values
    refuse(pd.to_datetime(table["as_of"], errors="coerce").isna(), "as_of", "'{value}' is not a date")
    table["customer_id"] = ids.astype(str)
    return table


def cutoff(scores: pd.DataFrame, source: str | os.PathLike[str]) -> pd.Timestamp:
    """The one `as_of` of a scores table; a ValueError naming `source` when there are several."""
    days = pd.to_datetime(scores["as_of"]).dt.normalize().unique()
    if len(days) != 1:
        raise ValueError(f"{source}: expected one as_of, found {len(days)}; give --features")
    return pd.Timestamp(days[0])


def scored_base(scores: str | os.PathLike[str], features: str | os.PathLike[str] | None = None,
                base: Base | None = None) -> pd.DataFrame:
    """Scores joined to `features` (a feature table of the same cutoff), by default the snapshot saved
    for the scores' customer base (`base`, else the one their `model_versions` name)."""
    table = read_scores(scores)
    if features is not None:
        extra = pd.read_parquet(features)
    else:
        extra = load_snapshot(snapshot_store(base or base_of_scores(table)), cutoff(table, scores).date())
    return customer_table(table, extra)
