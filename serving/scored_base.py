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
    table["customer_id"] = table["customer_id"].astype(str)
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
