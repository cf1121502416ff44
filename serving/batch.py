"""Batch scoring: every customer known at a cutoff, scored by the champion models, one file out.

Features are built once for the whole base (DuckDB or Spark), saved as the feature snapshot the
scoring service reads, checked for drift against the champion's training snapshot, then scored
in chunks of customers. Chunks are staged (see `serving.staging`), so a run killed half-way and
started again finishes the missing chunks and publishes exactly one row per customer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.output_lock import output_lock
from features.pipeline import save_snapshot
from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA, check_cutoff, usable_data_end
from features.pipeline.source import Events
from training.bases import Base
from training.champions import Champions, load_champions
from training.drift import DEFAULT_THRESHOLD, drifted
from training.predict import score_frame, scoring_frame
from serving.settings import snapshot_store
from serving.staging import Staging, output_format

log = logging.getLogger(__name__)

DEFAULT_CHUNK_CUSTOMERS = 100_000
OUTPUT_COLUMNS = (
    "customer_id", "status", "segment_id", "segment_name", "churn_probability", "expected_orders", "p_purchase_30d",
    "p_purchase_90d", "expected_next_purchase_date", "next_purchase_after_horizon", "predicted_clv", "model_versions", "as_of",
)

ChunkCallback = Callable[[int, int, int], None]
"""Called after each chunk with (chunk index, number of chunks, customers in the chunk)."""


@dataclass(frozen=True)
class BatchResult:
    out: Path
    summary: dict
    drift: pd.Series = field(repr=False)
    resumed_chunks: int = 0


def run_batch(
    transactions: str | os.PathLike[str],
    as_of: dt.date,
    out: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    engine: str = "duckdb",
    chunk_customers: int = DEFAULT_CHUNK_CUSTOMERS,
    champions: Champions | None = None,
    snapshots: str | os.PathLike[str] | None = None,
    drift_threshold: float = DEFAULT_THRESHOLD,
    on_chunk: ChunkCallback | None = None,
    events: Events | None = None,
    base: Base | None = None,
    max_days_past_data: int = DEFAULT_MAX_DAYS_PAST_DATA,
    allow_future: bool = False,
) -> BatchResult:
    """Score every customer with an accepted line on or before `as_of` and publish `out` atomically.

    Each gets exactly one row with its `status` (see `features.pipeline.orders.STATUSES`). `out`
    is locked for the whole run: a second run on it is refused (OutputLocked) and never mixes in.
    A cutoff more than `max_days_past_data` after the last transaction is refused (FutureCutoff)
    unless `allow_future`.

    `fmt` is parquet or csv, by default the one `out`'s suffix names (see `output_format`);
    `base` names the customer base whose champions score (default: `champions.base`, else `default`);
    `snapshots` is the feature snapshot store (default: the base's in INSIGHT_SNAPSHOTS, `snapshot_store`).
    `events` (`insight ingest-events` output) are needed when the champions were trained with them.
    """
    fmt = output_format(out, fmt)
    if chunk_customers < 1:
        raise ValueError("chunk_customers must be at least 1")
    out = Path(out)
    with output_lock(out, kind="file"):
        began = time.perf_counter()
        check_cutoff(as_of, usable_data_end(transactions, as_of), source=str(transactions),
                     max_days=max_days_past_data, allow_future=allow_future)
        champions = champions or load_champions(base=base)
        models = champions.models
        frame = scoring_frame(Path(transactions), models, as_of, engine=engine, events=events)
        baselines = frame.attrs.get("baselines")
        frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
        drift = models.reference.psi(frame) if models.reference is not None else pd.Series(dtype=float, name="psi")
        for feature, value in drifted(drift, drift_threshold).items():
            log.warning("feature drift: %s has PSI %.3f against the champion's training data", feature, value)
        save_snapshot(frame, as_of, snapshots or snapshot_store(champions.base))

        versions = json.dumps(champions.versions_by_name, sort_keys=True)
        bounds = list(range(0, len(frame), chunk_customers)) or [0]
        staging = Staging(out, _manifest(frame, as_of, versions, chunk_customers))
        done = set(staging.open())
        score_chunk = _spark_scorer(models) if engine == "spark" else (lambda part: score_frame(models, part))
        for index, start in enumerate(bounds):
            part = frame.iloc[start : start + chunk_customers]
            if index not in done:
                scores = score_chunk(part)
                scores["model_versions"] = versions
                scores["as_of"] = as_of
                staging.write_part(index, scores[list(OUTPUT_COLUMNS)])
            if on_chunk is not None:
                on_chunk(index, len(bounds), len(part))
        staging.publish(len(bounds), fmt)

        summary = summarize(out, fmt)
        summary.update({
            "as_of": as_of.isoformat(), "trained_as_of": str(models.as_of), "base": champions.base.name,
            "engine": engine, "baselines": baselines,
            "model_versions": champions.versions_by_name,
            "drifted_features": {k: round(float(v), 3) for k, v in drifted(drift, drift_threshold).items()},
            "resumed_chunks": len(done), "elapsed_seconds": round(time.perf_counter() - began, 2),
        })
        return BatchResult(out, summary, drift, len(done))


def summarize(out: Path, fmt: str = "parquet") -> dict:
    """Customers (by status; they add up), per-segment counts, mean churn probability and totals,
    read from the written file."""
    columns = ["status", "segment_name", "churn_probability", "expected_orders", "predicted_clv"]
    scores = pd.read_parquet(out, columns=columns) if fmt == "parquet" else pd.read_csv(out, usecols=columns)
    return {
        "customers": len(scores),
        "customers_by_status": {str(k): int(v) for k, v in scores["status"].value_counts().sort_index().items()},
        "segments": {str(k): int(v) for k, v in scores["segment_name"].value_counts().items()},
        "mean_churn_probability": round(float(scores["churn_probability"].mean()), 4) if len(scores) else None,
        "total_expected_orders": round(float(scores["expected_orders"].sum()), 1),
        "total_predicted_clv": round(float(scores["predicted_clv"].sum()), 2),
    }


def _manifest(frame: pd.DataFrame, as_of: dt.date, versions: str, chunk_customers: int) -> dict:
    """What makes two runs the same job: cutoff, models, chunking and the exact customer list."""
    ids = frame["customer_id"].astype(str).to_numpy()
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    return {"as_of": as_of.isoformat(), "model_versions": versions, "chunk_customers": chunk_customers,
            "customers": int(ids.size), "customer_ids_sha256": digest}


def _spark_scorer(models) -> Callable[[pd.DataFrame], pd.DataFrame]:
    from serving.spark_scoring import score_on_spark

    return lambda part: score_on_spark(models, part)

