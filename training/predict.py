"""Score customers with trained models: the one scoring path of batch runs, Spark, the API,
`insight evaluate`, monitoring and the packaged pyfunc models.

`score(models, transactions, as_of)` is the whole path: the feature code of training
(`features.pipeline.build_scoring_frame`) -> the baselines (`with_baselines_of`: refitted on the
base, or the parameters stored with the models) -> the four models -> output rows
(`score_frame`). Callers that start from a saved scoring frame (a feature snapshot, a batch
chunk on a Spark executor, a pyfunc model's input) call the later steps themselves; nobody
assembles scores another way.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from features.pipeline import build_scoring_frame
from features.pipeline.source import Events, Transactions
from training.baselines import DAYS_PER_WEEK, Baselines, with_baselines
from training.coherence import coherent_predictions
from training.job import CustomerModels

log = logging.getLogger(__name__)

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


def with_baselines_of(models: CustomerModels, features: pd.DataFrame, *, refit: bool = False) -> pd.DataFrame:
    """`features` plus the baseline columns, and the path taken in `attrs["baselines"]` (logged).

    By default with the parameters stored with the models, so a customer scores the same alone as
    in a batch. With `refit`, the baselines are refitted on the customers with a purchase, exactly
    as each stacked training snapshot had its own fit, starting from the stored parameters (the
    nearest known answer; it saves steps when the base resembles the training one); a base smaller
    than MIN_CUSTOMERS_TO_REFIT keeps the stored parameters. A refit that fails (e.g. too few
    repeat customers for Gamma-Gamma) is logged as a warning with its reason, and the stored
    parameters score instead.
    """
    if features.empty:
        return features
    purchasers = int(scorable(features).sum())
    fitted, path = models.baselines, "stored parameters"
    if refit and purchasers < MIN_CUSTOMERS_TO_REFIT:
        path = f"stored parameters ({purchasers:,} customers with a purchase, fewer than {MIN_CUSTOMERS_TO_REFIT:,} to refit)"
    elif refit:
        try:
            fitted = Baselines(models.horizon_days).fit(features[scorable(features)], start=models.baselines)
            path = f"refitted on {purchasers:,} customers with a purchase"
        except ValueError as exc:
            path = f"stored parameters (the refit on {purchasers:,} customers failed: {exc})"
            log.warning("baselines: %s", path)
    log.info("baselines: %s", path)
    out = _baselines_on(features, fitted, models.horizon_days)
    out.attrs["baselines"] = path
    return out


def scoring_frame(transactions: Transactions, models: CustomerModels, as_of: dt.date | str,
                  *, engine: str = "duckdb", events: Events | None = None, refit: bool = True) -> pd.DataFrame:
    """Features as of `as_of` with the models' channel columns, calendar features and baselines
    (refitted on this base unless `refit` is False; see `with_baselines_of`)."""
    features = build_scoring_frame(transactions, as_of, models.horizon_days, engine=engine, channels=models.channels,
                                   events=require_events(models, events))
    return with_baselines_of(models, features, refit=refit)


def score(models: CustomerModels, transactions: Transactions, as_of: dt.date | str, *, engine: str = "duckdb",
          events: Events | None = None, refit: bool = True, keep_features: bool = False) -> pd.DataFrame:
    """The one scoring path: features as of `as_of` -> baselines -> the four models -> one row per
    customer (see `score_frame`).

    `refit` False scores with the models' stored baseline parameters (the API: a request's few
    customers cannot pin a refit down); `keep_features` adds the scoring frame's columns (features,
    calendar and baseline columns) beside the scores, for judging them against the baselines.
    """
    frame = scoring_frame(transactions, models, as_of, engine=engine, events=events, refit=refit)
    rows = score_frame(models, frame)
    if keep_features:
        features = frame.drop(columns=[c for c in frame.columns if c in rows.columns]).reset_index(drop=True)
        rows = pd.concat([rows, features], axis=1)
    rows.attrs["baselines"] = frame.attrs.get("baselines")
    return rows


def require_events(models: CustomerModels, events: Events | None) -> Events | None:
    """`events` for models trained with engagement features (an error without them), else None:
    models trained without events score from transactions alone, whatever else is given."""
    if not getattr(models, "uses_events", False):
        return None
    if events is None:
        raise ValueError("the champion models were trained with engagement events; give the events "
                         "(--events DIR, the output of `insight ingest-events`) to score")
    return events


def score_frame(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per customer of a scoring frame (see `scoring_frame`), in its order, with SCORE_COLUMNS (plus p_purchase_{d}d for
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
                       next_purchase.expected_orders(frame), sorted(next_purchase.probability_days))
    out = pd.concat([out, timing], axis=1)
    out["predicted_clv"] = models.clv.predict(frame)
    return out
