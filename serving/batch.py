"""Batch scoring: every customer known at a cutoff, scored by the champion models, one file out."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.atomic import atomic_file
from training.job import CustomerModels
from training.predict import score, scoring_frame
from training.runner import champion_models
from training.tracking import champion_versions


@dataclass(frozen=True)
class BatchResult:
    out: Path
    scores: pd.DataFrame
    summary: dict


def score_customers(transactions: str | Path, as_of: dt.date, *, models: CustomerModels | None = None,
                    engine: str = "duckdb") -> pd.DataFrame:
    """One row per customer with a purchase on or before `as_of`, scored by `models` (default: champions)."""
    models = models or champion_models()
    frame = scoring_frame(Path(transactions), models, as_of, engine=engine)
    scores = score(models, frame)
    scores["as_of"] = as_of
    return scores


def summarize(scores: pd.DataFrame) -> dict:
    """Customers, per-segment counts, mean churn probability and total predicted CLV."""
    return {
        "customers": len(scores),
        "segments": {str(k): int(v) for k, v in scores["segment_name"].value_counts().items()},
        "mean_churn_probability": round(float(scores["churn_probability"].mean()), 4) if len(scores) else None,
        "total_expected_orders": round(float(scores["expected_orders"].sum()), 1),
        "total_predicted_clv": round(float(scores["predicted_clv"].sum()), 2),
    }


def write_scores(scores: pd.DataFrame, out: Path, fmt: str = "parquet") -> Path:
    """Write atomically as Parquet or CSV."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv; got {fmt!r}")
    with atomic_file(out) as tmp:
        if fmt == "parquet":
            scores.to_parquet(tmp, index=False)
        else:
            scores.to_csv(tmp, index=False)
    return out


def run_batch(transactions: str | Path, as_of: dt.date, out: Path, *, fmt: str = "parquet",
              engine: str = "duckdb") -> BatchResult:
    """Score and write; the model versions used are recorded in every row."""
    scores = score_customers(transactions, as_of, engine=engine)
    scores["model_versions"] = json.dumps(champion_versions(), sort_keys=True)
    write_scores(scores, out, fmt)
    return BatchResult(out, scores, summarize(scores))
