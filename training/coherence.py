"""One customer's predictions made to agree with each other: the timing curve anchored on churn.

Churn is P(no purchase within the horizon h), so 1 - churn is P(a purchase within h). The
next-purchase model's survival curve C(d) says *when* a purchase comes; it is rescaled so that it
ends at 1 - churn: P(d) = (1 - churn) * C(d) / C(h) for d <= h (the curve's timing given a
purchase within h), and beyond h the survival keeps the curve's shape, 1 - P(d) = churn *
(1 - C(d)) / (1 - C(h)). Hence P(30) <= P(90) <= P(h) = 1 - churn for every customer. Expected
orders are at least P(h) (a count's mean is at least its chance of being nonzero). The next
purchase is the median of the rescaled curve when it falls inside the horizon; a customer with
churn above one half has no median there: no date, `next_purchase_after_horizon`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.models.next_purchase import probability_within

_TINY = 1e-12


def coherent_predictions(curve: pd.DataFrame, churn: np.ndarray, expected_orders: np.ndarray,
                         probability_days: tuple[int, ...]) -> pd.DataFrame:
    """expected_orders, p_purchase_{d}d per d of `probability_days`, days_to_next (NaN after the
    horizon) and next_purchase_after_horizon, from a monotone `curve` (columns: checkpoint days,
    the last one the horizon) and the churn probabilities of the same rows."""
    days = np.array(curve.columns, dtype=float)
    horizon = days[-1]
    within = np.clip(1.0 - np.asarray(churn, dtype=float), 0.0, 1.0)
    raw_h = curve.to_numpy(dtype=float)[:, -1]
    out = pd.DataFrame(index=curve.index)
    out["expected_orders"] = np.maximum(np.asarray(expected_orders, dtype=float), within)
    for d in probability_days:
        out[f"p_purchase_{d}d"] = _anchored(curve, raw_h, within, d, horizon)
    anchored = np.column_stack([np.zeros(len(curve))] + [_anchored(curve, raw_h, within, d, horizon) for d in days])
    out["days_to_next"] = _median_inside(np.concatenate([[0.0], days]), anchored)
    out["next_purchase_after_horizon"] = np.isnan(out["days_to_next"].to_numpy())
    return out


def _anchored(curve: pd.DataFrame, raw_h: np.ndarray, within: np.ndarray, day: float, horizon: float) -> np.ndarray:
    """P(purchase within `day`) of the curve rescaled to end at `within` on the horizon."""
    raw = probability_within(curve, int(day)) if day != horizon else raw_h
    if day <= horizon:
        share = np.where(raw_h > _TINY, raw / np.maximum(raw_h, _TINY), day / horizon)
        return within * np.clip(share, 0.0, 1.0)
    survival_ratio = np.clip((1.0 - raw) / np.maximum(1.0 - raw_h, _TINY), 0.0, 1.0)
    return 1.0 - (1.0 - within) * survival_ratio


def _median_inside(days: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Day at which each row's piecewise-linear curve (values at `days`) reaches one half; NaN when
    it stays below one half up to the last day."""
    result = np.full(len(values), np.nan)
    crossed = values[:, -1] >= 0.5
    if crossed.any():
        v = values[crossed]
        hi = np.argmax(v >= 0.5, axis=1)
        lo = np.maximum(hi - 1, 0)
        rows = np.arange(len(v))
        span = v[rows, hi] - v[rows, lo]
        w = np.where(span > 0, (0.5 - v[rows, lo]) / np.where(span > 0, span, 1.0), 1.0)
        result[crossed] = days[lo] + w * (days[hi] - days[lo])
    return result


def violations(p30: np.ndarray, p90: np.ndarray, churn: np.ndarray, expected_orders: np.ndarray,
               days_to_next: np.ndarray, horizon_days: int, tolerance: float = 1e-9) -> dict[str, int]:
    """Customers breaking each link of P(30d) <= P(90d) <= 1 - churn <= expected orders (90 <= the
    horizon), and next purchase days past the horizon (NaN days: no date, not counted)."""
    within = 1.0 - np.asarray(churn, dtype=float)
    p30, p90 = np.asarray(p30, dtype=float), np.asarray(p90, dtype=float)
    days = np.asarray(days_to_next, dtype=float)
    return {
        "P(30d) > P(90d)": int((p30 > p90 + tolerance).sum()),
        "P(90d) > 1 - churn": int((p90 > within + tolerance).sum()) if horizon_days >= 90 else 0,
        "1 - churn > expected orders": int((within > np.asarray(expected_orders, dtype=float) + tolerance).sum()),
        "next purchase past the horizon": int((days[np.isfinite(days)] > horizon_days).sum()),
    }


def score_violations(scores: pd.DataFrame, as_of: pd.Timestamp | str, horizon_days: int) -> dict[str, int]:
    """`violations` of the scored customers of `training.predict.score` output (or batch scores),
    plus rows whose next purchase date and next_purchase_after_horizon disagree."""
    rows = scores[scores["churn_probability"].notna().to_numpy()]
    days = (pd.to_datetime(rows["expected_next_purchase_date"]) - pd.Timestamp(as_of)).dt.days.to_numpy(dtype=float)
    out = violations(rows["p_purchase_30d"], rows["p_purchase_90d"], rows["churn_probability"],
                     rows["expected_orders"], days, horizon_days)
    flagged = rows["next_purchase_after_horizon"].astype(bool).to_numpy()
    out["date and next_purchase_after_horizon disagree"] = int((np.isnan(days) != flagged).sum())
    return out
