"""Score customers with trained models: the one scoring path for batch runs and the API.

Input is a scoring frame from `features.pipeline.build_scoring_frame` (features as of a cutoff plus
the calendar features of the next window); the baselines are applied with the parameters stored in
the models, so a single customer scores the same alone as in a nightly batch.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.pipeline import build_scoring_frame
from features.pipeline.source import Transactions
from training.baselines import Baselines, with_baselines
from training.job import CustomerModels

SCORE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "segment_id",
    "segment_name",
    "churn_probability",
    "expected_orders",
    "p_purchase_30d",
    "p_purchase_90d",
    "expected_next_purchase_date",
    "predicted_clv",
)


MIN_CUSTOMERS_TO_REFIT = 1000


def scoring_frame(transactions: Transactions, models: CustomerModels, as_of: dt.date | str,
                  *, engine: str = "duckdb") -> pd.DataFrame:
    """Features as of `as_of` with the models' channel columns, calendar features and baselines.

    The baselines are refitted on the customers known at `as_of`, exactly as each stacked training
    snapshot had its own fit, starting from the parameters stored with the models (the nearest
    known answer; it saves steps when the base resembles the training one); a base smaller than
    MIN_CUSTOMERS_TO_REFIT uses the stored parameters as they are (as the API does for a single
    customer).
    """
    frame = build_scoring_frame(transactions, as_of, models.horizon_days, engine=engine, channels=models.channels)
    if len(frame) >= MIN_CUSTOMERS_TO_REFIT:
        try:
            refitted = Baselines(models.horizon_days).fit(frame, start=models.baselines)
            return with_baselines(frame, models.horizon_days, fitted=refitted)[0]
        except ValueError:
            pass
    return with_baselines_of(models, frame)


def with_baselines_of(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` plus the baseline columns computed with the models' stored parameters."""
    return with_baselines(frame, models.horizon_days, fitted=models.baselines)[0]


def score(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per customer of `frame` with SCORE_COLUMNS (plus p_purchase_{d}d for every checkpoint)."""
    if frame.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    as_of = pd.to_datetime(frame["as_of"]).dt.normalize()
    timing = models.next_purchase.predict(frame)
    segment_ids = np.asarray(models.segments.predict(frame))
    out = pd.DataFrame({"customer_id": frame["customer_id"].astype("string").to_numpy()})
    out["segment_id"] = segment_ids.astype("int64")
    out["segment_name"] = [models.segments.names_[int(s)] for s in segment_ids]
    out["churn_probability"] = models.churn.predict_proba(frame)
    out["expected_orders"] = timing["expected_orders"].to_numpy()
    for column in timing.columns:
        if column.startswith("p_purchase_"):
            out[column] = timing[column].to_numpy()
    if "p_purchase_30d" not in out or "p_purchase_90d" not in out:
        raise ValueError("the next-purchase model must cover 30 and 90 days")
    days = timing["expected_days_to_next"].to_numpy()
    out["expected_next_purchase_date"] = (as_of.to_numpy() + pd.to_timedelta(np.round(days), unit="D")).astype(
        "datetime64[s]"
    )
    out["expected_next_purchase_date"] = pd.to_datetime(out["expected_next_purchase_date"]).dt.date
    out["predicted_clv"] = models.clv.predict(frame)
    ordered = list(SCORE_COLUMNS) + [c for c in out.columns if c not in SCORE_COLUMNS]
    return out[ordered]
