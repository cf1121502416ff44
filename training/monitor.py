"""Did the predictions come true? The champions' scores as of a past cutoff against what happened
in the horizon after it: by score decile, by segment, and the share of next-period buyers and
spend the top 10/20/30 % of the ranking captured.

Deciles rank customers by predicted purchase likelihood (1 - churn probability), decile 1 the
most likely to buy, so the table reads like the audience-size tables of commercial CRM tools.
Realised quality is compared with the training run's own validation and a warning is raised
when it falls well below (QUALITY_DROP).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.engine import parquet_source
from features.pipeline import build_labels, purchasers_of
from training import metrics
from training.champions import Champions
from training.predict import score
from training.tasks import CHURN, CLV, NEXT_PURCHASE

TOP_SHARES = (0.1, 0.2, 0.3)
MAX_UNSEEN_SHARE = 0.01
"""The share of the horizon the data may stop short of its end (rounded up to whole days)."""
DECILES = 10
QUALITY_DROP = {"churn.roc_auc": 0.05, "clv.gini": 0.10}
"""How far a realised metric may fall below the training run's validation value before a warning."""
VALIDATION_METRIC = {"churn.roc_auc": "churn.gbm.roc_auc", "clv.gini": "clv.gbm.gini"}
"""The training run's MLflow metric each realised metric is compared with."""


@dataclass(frozen=True)
class Monitoring:
    """What came true: per-decile and per-segment tables, captured shares, headline metrics."""

    as_of: dt.date
    horizon_days: int
    customers: int
    deciles: pd.DataFrame
    segments: pd.DataFrame
    captured: pd.DataFrame
    quality: dict[str, float]
    warnings: list[str] = field(default_factory=list)

    @property
    def window_end(self) -> dt.date:
        return self.as_of + dt.timedelta(days=self.horizon_days)


def realised_frame(transactions: str | Path, champions: Champions, as_of: dt.date, *,
                   engine: str = "duckdb") -> tuple[pd.DataFrame, list[str]]:
    """One row per customer with a purchase by `as_of`: the champions' scores then and the labels
    of the horizon after (the churn, next-purchase and CLV labels), with a note when the data
    stops short of the horizon's last day. Refused until the horizon has passed (give or take
    MAX_UNSEEN_SHARE of it: CDNOW's 182 days after 1997-12-31 end a day after its last record)."""
    models = champions.models
    path = parquet_source(transactions)
    window_end = as_of + dt.timedelta(days=models.horizon_days)
    last = pd.read_parquet(path, columns=["timestamp"])["timestamp"].max()
    short = (window_end - last.date()).days if not pd.isna(last) else models.horizon_days
    if short > math.ceil(MAX_UNSEEN_SHARE * models.horizon_days):
        ends = "has no rows" if pd.isna(last) else f"ends {last.date()}"
        raise ValueError(f"{path}: the {models.horizon_days}-day horizon after {as_of} runs to {window_end} but the "
                         f"data {ends}; monitor once the horizon has passed")
    scores = purchasers_of(score(models, path, as_of, engine=engine))
    if scores.empty:
        raise ValueError(f"{path}: no customer with a purchase on or before {as_of}")
    scores = scores[["customer_id", "segment_name", "churn_probability", "expected_orders", "predicted_clv"]]
    labels = build_labels(path, as_of, models.horizon_days, engine=engine)
    labels = labels[["customer_id", CHURN.label, NEXT_PURCHASE.label, CLV.label]]
    frame = scores.merge(labels.assign(customer_id=labels["customer_id"].astype("string")), on="customer_id",
                         how="left", validate="one_to_one")
    notes = [f"the data ends {last.date()}, {short} day(s) before the horizon's last day {window_end}; "
             "those days count as days without purchases"] if short > 0 else []
    return frame, notes


def decile_of(ranking: np.ndarray, bins: int = DECILES) -> np.ndarray:
    """1..bins by descending `ranking` in equal-count groups (ties keep input order)."""
    order = np.argsort(-np.asarray(ranking, float), kind="stable")
    deciles = np.empty(order.size, dtype=np.int64)
    for i, group in enumerate(np.array_split(order, bins), start=1):
        deciles[group] = i
    return deciles


def _summary(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Predicted against realised means per group of `by`."""
    grouped = frame.assign(bought=1.0 - frame[CHURN.label]).groupby(by, sort=True)
    out = pd.DataFrame({
        "customers": grouped.size(),
        "predicted_churn": grouped["churn_probability"].mean(),
        "realised_churn": grouped[CHURN.label].mean(),
        "predicted_orders": grouped["expected_orders"].mean(),
        "realised_orders": grouped[NEXT_PURCHASE.label].mean(),
        "predicted_spend": grouped["predicted_clv"].mean(),
        "realised_spend": grouped[CLV.label].mean(),
    })
    out["buyers"] = grouped["bought"].sum().round().astype("int64")
    total = out["buyers"].sum()
    out["buyer_share"] = out["buyers"] / total if total else np.nan
    overall = total / len(frame)
    out["buyer_lift"] = (1.0 - out["realised_churn"]) / overall if overall else np.nan
    return out.reset_index()


def _deciles(ranked: pd.DataFrame) -> pd.DataFrame:
    """The per-decile summary with the cumulative share of next-period buyers captured."""
    table = _summary(ranked, "decile")
    table["buyers_captured"] = table["buyer_share"].cumsum()
    return table


def captured_shares(frame: pd.DataFrame, shares: tuple[float, ...] = TOP_SHARES) -> pd.DataFrame:
    """For the top `share` of customers by predicted purchase likelihood and by predicted spend:
    the share of next-period buyers and of next-period spend they hold, beside a random pick (the
    share itself) and the best any ranking could do."""
    buyers = 1.0 - frame[CHURN.label].to_numpy(float)
    spend = np.clip(frame[CLV.label].to_numpy(float), 0, None)
    by_buying = np.argsort(frame["churn_probability"].to_numpy(float), kind="stable")
    by_value = np.argsort(-frame["predicted_clv"].to_numpy(float), kind="stable")
    rows = []
    for share in shares:
        k = int(round(share * len(frame)))
        rows.append({
            "top_share": share,
            "customers": k,
            "buyers_captured": buyers[by_buying[:k]].sum() / buyers.sum() if buyers.sum() else np.nan,
            "buyers_best": min(1.0, k / buyers.sum()) if buyers.sum() else np.nan,
            "spend_captured": spend[by_value[:k]].sum() / spend.sum() if spend.sum() else np.nan,
            "spend_best": np.sort(spend)[::-1][:k].sum() / spend.sum() if spend.sum() else np.nan,
            "random": share,
        })
    return pd.DataFrame(rows)


def realised_quality(frame: pd.DataFrame) -> dict[str, float]:
    """Headline metrics of the horizon: churn ROC-AUC and Brier, calibration error (mean absolute
    gap between predicted and realised churn over the deciles), orders and spend total ratios, CLV Gini."""
    churned = frame[CHURN.label].to_numpy(float)
    predicted = frame["churn_probability"].to_numpy(float)
    mean_p, rate, counts = metrics.calibration_table(churned, predicted, DECILES)
    spend = np.clip(frame[CLV.label].to_numpy(float), 0, None)
    return {
        "churn.roc_auc": metrics.roc_auc(churned, predicted),
        "churn.brier": metrics.probability_scores(churned, predicted)["brier"],
        "churn.calibration_error": float(np.average(np.abs(mean_p - rate), weights=counts)),
        "churn.realised_rate": float(churned.mean()),
        "churn.predicted_rate": float(predicted.mean()),
        "orders.total_ratio": metrics.total_ratio(frame[NEXT_PURCHASE.label], frame["expected_orders"]),
        "clv.gini": metrics.normalized_gini(spend, frame["predicted_clv"]),
        "clv.total_ratio": metrics.total_ratio(spend, frame["predicted_clv"]),
    }


def quality_warnings(quality: dict[str, float], validation: dict[str, float]) -> list[str]:
    """One line per realised metric that fell more than QUALITY_DROP below its validation value."""
    lines = []
    for name, drop in QUALITY_DROP.items():
        reference = validation.get(VALIDATION_METRIC[name])
        realised = quality.get(name)
        if reference is None or realised is None or not np.isfinite(realised):
            continue
        if realised < reference - drop:
            lines.append(f"{name} realised {realised:.3f} is well below the training validation's {reference:.3f} "
                         f"(more than {drop:.2f} lower): the models may need retraining")
    return lines


def monitor(frame: pd.DataFrame, as_of: dt.date, horizon_days: int,
            validation: dict[str, float] | None = None, notes: list[str] | None = None) -> Monitoring:
    """The monitoring tables of a realised frame (see `realised_frame`)."""
    ranked = frame.assign(decile=decile_of(1.0 - frame["churn_probability"].to_numpy(float)))
    quality = realised_quality(ranked)
    return Monitoring(
        as_of=as_of, horizon_days=horizon_days, customers=len(ranked),
        deciles=_deciles(ranked),
        segments=_summary(ranked, "segment_name"),
        captured=captured_shares(ranked), quality=quality,
        warnings=[*(notes or []), *quality_warnings(quality, validation or {})],
    )
