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
from features.pipeline.source import Events, Transactions
from training.baselines import DAYS_PER_WEEK, Baselines, with_baselines
from training.coherence import coherent_predictions
from training.job import CustomerModels

SCORE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "status",
    "segment_id",
    "segment_name",
    "churn_probability",
    "expected_orders",
    "p_purchase_30d",
    "p_purchase_90d",
    "expected_next_purchase_date",
    "next_purchase_after_horizon",
    "predicted_clv",
)


MIN_CUSTOMERS_TO_REFIT = 1000
COUNT_MODEL_STATUS = "no_paid_orders"
UNSCORED_STATUS = "returns_only"
SPECIAL_SEGMENTS = {COUNT_MODEL_STATUS: (-1, "no paid orders yet"), UNSCORED_STATUS: (-2, "returns only")}
"""Segments of the customers the clustering never saw: a zero-value history and a returns-only one."""


def _status(frame: pd.DataFrame) -> pd.Series:
    """The frame's `status` (`scored` for frames without one, such as training frames)."""
    if "status" not in frame.columns:
        return pd.Series("scored", index=frame.index, dtype="string")
    return frame["status"].astype("string").fillna("scored")


def scorable(frame: pd.DataFrame) -> np.ndarray:
    """True for the rows the models score: customers with a purchase (status `scored`)."""
    return _status(frame).eq("scored").to_numpy()


def _has_summary(frame: pd.DataFrame) -> np.ndarray:
    """True for the rows with a BTYD summary: every status but returns_only."""
    return _status(frame).ne(UNSCORED_STATUS).to_numpy()


def _baselines_on(frame: pd.DataFrame, fitted: Baselines, horizon_days: int) -> pd.DataFrame:
    """`frame` plus the baseline columns of `fitted` where there is a BTYD summary (NaN elsewhere)."""
    mask = _has_summary(frame)
    if mask.all():
        return with_baselines(frame, horizon_days, fitted=fitted)[0]
    if not mask.any():
        return frame
    return pd.concat([with_baselines(frame[mask], horizon_days, fitted=fitted)[0], frame[~mask]]).loc[frame.index]


def scoring_frame(transactions: Transactions, models: CustomerModels, as_of: dt.date | str,
                  *, engine: str = "duckdb", events: Events | None = None) -> pd.DataFrame:
    """Features as of `as_of` with the models' channel columns, calendar features and baselines.

    The baselines are refitted on the customers with a purchase at `as_of`, exactly as each stacked
    training snapshot had its own fit, starting from the parameters stored with the models (the
    nearest known answer; it saves steps when the base resembles the training one); a base smaller
    than MIN_CUSTOMERS_TO_REFIT uses the stored parameters as they are (as the API does for a
    single customer).
    """
    frame = build_scoring_frame(transactions, as_of, models.horizon_days, engine=engine, channels=models.channels,
                                events=require_events(models, events))
    purchasers = scorable(frame)
    if purchasers.sum() >= MIN_CUSTOMERS_TO_REFIT:
        try:
            refitted = Baselines(models.horizon_days).fit(frame[purchasers], start=models.baselines)
            return _baselines_on(frame, refitted, models.horizon_days)
        except ValueError:
            pass
    return with_baselines_of(models, frame)


def require_events(models: CustomerModels, events: Events | None) -> Events | None:
    """`events` for models trained with engagement features (an error without them), else None:
    models trained without events score from transactions alone, whatever else is given."""
    if not getattr(models, "uses_events", False):
        return None
    if events is None:
        raise ValueError("the champion models were trained with engagement events; give the events "
                         "(--events DIR, the output of `insight ingest-events`) to score")
    return events


def with_baselines_of(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` plus the baseline columns computed with the models' stored parameters."""
    return _baselines_on(frame, models.baselines, models.horizon_days)


def score(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per customer of `frame`, in its order, with SCORE_COLUMNS (plus p_purchase_{d}d for
    every checkpoint).

    `status` comes from the frame (see `features.pipeline.orders.STATUSES`): `scored` customers get
    the models' scores; `no_paid_orders` ones the count models' (BG/NBD with Gamma-Gamma, on the
    frame's baseline columns) and the segment "no paid orders yet"; `returns_only` ones the segment
    "returns only" and null scores. Every scored customer's probabilities agree (see
    `training.coherence`): P(30d) <= P(90d) <= 1 - churn <= expected orders, and
    `expected_next_purchase_date` is the median day of a purchase when it falls inside the horizon,
    otherwise null with `next_purchase_after_horizon` true.
    """
    if frame.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    status = _status(frame)
    parts = []
    model_rows = scorable(frame)
    if model_rows.any():
        parts.append(_model_scores(models, frame[model_rows]).set_axis(np.flatnonzero(model_rows)))
    count_rows = status.eq(COUNT_MODEL_STATUS).to_numpy()
    if count_rows.any():
        checkpoints = [c for c in parts[0].columns if c.startswith("p_purchase_")] if parts else []
        parts.append(_count_model_scores(models, frame[count_rows], checkpoints).set_axis(np.flatnonzero(count_rows)))
    out = pd.concat(parts).reindex(range(len(frame))) if parts else pd.DataFrame(index=range(len(frame)))
    out["customer_id"] = frame["customer_id"].astype("string").to_numpy()
    out["status"] = status.to_numpy()
    for column in SCORE_COLUMNS:
        if column not in out:
            out[column] = np.nan
    out["segment_name"] = out["segment_name"].astype("object")
    for name, (segment_id, segment_name) in SPECIAL_SEGMENTS.items():
        rows = out["status"].eq(name).to_numpy()
        out.loc[rows, "segment_id"] = segment_id
        out.loc[rows, "segment_name"] = segment_name
    out["segment_id"] = out["segment_id"].astype("int64")
    out["next_purchase_after_horizon"] = out["next_purchase_after_horizon"].astype("boolean")
    ordered = list(SCORE_COLUMNS) + [c for c in out.columns if c not in SCORE_COLUMNS]
    return out[ordered]


def _count_model_scores(models: CustomerModels, frame: pd.DataFrame, checkpoints: list[str]) -> pd.DataFrame:
    """BG/NBD x Gamma-Gamma scores of customers whose only purchase events are zero-value orders.

    All from the models' stored baselines (the same alone as in a batch): churn is BG/NBD's
    P(no purchase in the horizon), orders and spend its expectations, and its closed-form
    P(purchase within d days) at the next-purchase checkpoints is the timing curve.
    """
    bgnbd = models.baselines.bgnbd_
    x, t_x, age = (frame[c].to_numpy(dtype=float) / scale for c, scale in
                   (("btyd_frequency", 1.0), ("btyd_recency", DAYS_PER_WEEK), ("btyd_T", DAYS_PER_WEEK)))
    baseline = models.baselines.transform(frame)
    days = models.next_purchase.checkpoints
    curve = pd.DataFrame({d: bgnbd.probability_of_purchase(x, t_x, age, t=d / DAYS_PER_WEEK) for d in days},
                         index=frame.index)
    probability_days = [int(c.removeprefix("p_purchase_").removesuffix("d"))
                        for c in dict.fromkeys([*checkpoints, "p_purchase_30d", "p_purchase_90d"])]
    out = _coherent(frame, curve, baseline["bgnbd_p_no_purchase"].to_numpy(dtype=float),
                    baseline["bgnbd_expected_orders"].to_numpy(dtype=float), probability_days)
    out["predicted_clv"] = baseline["bgnbd_gg_spend"].to_numpy(dtype=float)
    return out


def _coherent(frame: pd.DataFrame, curve: pd.DataFrame, churn: np.ndarray, expected_orders: np.ndarray,
              probability_days: list[int]) -> pd.DataFrame:
    """churn_probability, expected_orders, p_purchase_{d}d, the next purchase date and
    next_purchase_after_horizon, made to agree by `coherent_predictions`."""
    timing = coherent_predictions(curve, churn, expected_orders, tuple(probability_days))
    out = timing.drop(columns=["days_to_next"]).reset_index(drop=True)
    out.insert(0, "churn_probability", np.asarray(churn, dtype=float))
    as_of = pd.to_datetime(frame["as_of"]).dt.normalize().to_numpy()
    offsets = timing["days_to_next"].to_numpy()
    out["expected_next_purchase_date"] = [
        None if np.isnan(d) else (pd.Timestamp(a) + pd.Timedelta(days=int(np.round(d)))).date()
        for a, d in zip(as_of, offsets, strict=True)
    ]
    out["next_purchase_after_horizon"] = out["next_purchase_after_horizon"].astype(bool)
    return out


def _model_scores(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """The models' scores of rows that all have features."""
    next_purchase = models.next_purchase
    if not {30, 90} <= set(next_purchase.probability_days):
        raise ValueError("the next-purchase model must cover 30 and 90 days")
    segment_ids = np.asarray(models.segments.predict(frame))
    out = pd.DataFrame({"customer_id": frame["customer_id"].astype("string").to_numpy()})
    out["segment_id"] = segment_ids.astype("int64")
    out["segment_name"] = [models.segments.names_[int(s)] for s in segment_ids]
    timing = _coherent(frame, next_purchase.purchase_curve(frame), models.churn.predict_proba(frame),
                       next_purchase.expected_orders(frame), list(next_purchase.probability_days))
    out = pd.concat([out, timing], axis=1)
    out["predicted_clv"] = models.clv.predict(frame)
    return out
