"""Classic RFM quintile segmentation, the transparent alternative to clustering (Hughes 1994,
"Strategic Database Marketing").

Each customer gets a 1-5 score on recency (recent is better), frequency (purchase orders) and
monetary value (net spend): score = 1 + floor(5 * share of customers strictly worse on that
measure), capped at 5. Tied customers therefore share a score, the one of the worst-placed of
them: every one-time buyer gets F = 1 however many there are. The named groups come from the
widely used recency x frequency grid below; monetary value is reported in the cell, not the group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.segmentation.columns import CUSTOMER_ID, FREQUENCY, MONETARY, RECENCY

SCORE_LEVELS = 5

RFM_GROUPS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    # name                  R scores   F scores
    ("champions",           (5,),      (4, 5)),
    ("loyal customers",     (3, 4),    (4, 5)),
    ("potential loyalists", (4, 5),    (2, 3)),
    ("new customers",       (5,),      (1,)),
    ("promising",           (4,),      (1,)),
    ("need attention",      (3,),      (3,)),
    ("about to sleep",      (3,),      (1, 2)),
    ("cannot lose them",    (1, 2),    (5,)),
    ("at risk",             (1, 2),    (3, 4)),
    ("hibernating",         (1, 2),    (1, 2)),
)  # fmt: skip
"""(group, R scores, F scores): every one of the 25 (R, F) pairs falls in exactly one group."""


def _group_grid() -> np.ndarray:
    """RFM_GROUPS as a 5 x 5 array of group names indexed by (R - 1, F - 1)."""
    grid = np.empty((SCORE_LEVELS, SCORE_LEVELS), dtype=object)
    for name, r_scores, f_scores in RFM_GROUPS:
        grid[np.ix_([r - 1 for r in r_scores], [f - 1 for f in f_scores])] = name
    return grid


GROUP_GRID = _group_grid()


def quintile_scores(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """1-5 scores: 1 + floor(5 * share of values strictly worse), so ties share the lower score."""
    ordered = values if higher_is_better else -values
    worse = pd.Series(ordered).rank(method="min").to_numpy() - 1.0
    return np.minimum(1 + np.floor(SCORE_LEVELS * worse / len(values)), SCORE_LEVELS).astype("int64")


def rfm_segments(
    features: pd.DataFrame,
    *,
    recency: str = RECENCY,
    frequency: str = FREQUENCY,
    monetary: str = MONETARY,
) -> pd.DataFrame:
    """R, F and M scores, the cell string (e.g. '545') and the named group of every customer.

    Rows and index follow `features`; `customer_id` is carried over when present. Recency,
    frequency and monetary default to build_features' recency_days, orders and spend_total.
    """
    values = {}
    for role, column in (("recency", recency), ("frequency", frequency), ("monetary", monetary)):
        if column not in features.columns:
            raise ValueError(
                f"RFM needs the {role} column '{column}', which the feature frame lacks; "
                f"pass {role}='<column>' to use another"
            )
        series = pd.to_numeric(features[column], errors="coerce")
        if series.isna().any():
            raise ValueError(
                f"{role} column '{column}' has {int(series.isna().sum())} missing or non-numeric "
                "values; RFM scores every customer, so drop or fill them first"
            )
        values[role] = series.to_numpy(dtype="float64")
    out = pd.DataFrame(index=features.index)
    if CUSTOMER_ID in features.columns:
        out[CUSTOMER_ID] = features[CUSTOMER_ID]
    out["R"] = quintile_scores(values["recency"], higher_is_better=False)
    out["F"] = quintile_scores(values["frequency"], higher_is_better=True)
    out["M"] = quintile_scores(values["monetary"], higher_is_better=True)
    out["rfm_cell"] = out["R"].astype(str) + out["F"].astype(str) + out["M"].astype(str)
    out["rfm_segment"] = GROUP_GRID[out["R"].to_numpy() - 1, out["F"].to_numpy() - 1]
    return out
