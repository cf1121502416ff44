"""Simple recency/RFM heuristics, the floor every model must clear.

- orders: the customer's historical repeat rate (repeat orders per day observed, at least one
  horizon observed so a new customer is not extrapolated from a single day) times the horizon;
- churn: days since the last purchase, as a score (longer silence, likelier churn);
- spend: historical net spend per day observed (same rule) times the horizon, never below zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.frame import require_columns


def heuristic_predictions(frame: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Columns heuristic_orders, heuristic_churn_score, heuristic_spend for each row."""
    require_columns(frame, ["repeat_orders", "tenure_days", "recency_days", "spend_total"], "the RFM heuristics")
    days_observed = np.maximum(frame["tenure_days"].to_numpy(dtype=float), float(horizon_days))
    return pd.DataFrame(
        {
            "heuristic_orders": frame["repeat_orders"].to_numpy(dtype=float) / days_observed * horizon_days,
            "heuristic_churn_score": frame["recency_days"].to_numpy(dtype=float),
            "heuristic_spend": np.clip(frame["spend_total"].to_numpy(dtype=float), 0, None)
            / days_observed * horizon_days,
        },
        index=frame.index,
    )
