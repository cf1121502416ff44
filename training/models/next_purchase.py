"""Next purchase: expected orders in the horizon, P(purchase within d days), and the next date.

Orders: a Poisson LightGBM boosted from BG/NBD's conditional expectation, or (when it validates
better, as on thin single-cohort data) BG/NBD, Pareto/NBD or their equal-weight average: two
forecasters with different errors combine into one better than either (Bates & Granger, 1969).

Timing is a discrete-time survival curve: one classifier per checkpoint d <= horizon for
"a purchase within d days". Every such label is fully observed inside the label window, so
customers who did not buy are censored at the horizon, never dropped or imputed. The curve is made
monotone and extended past the horizon with the hazard of its last interval (constant hazard).
Scoring anchors it on the churn model's P(no purchase in the horizon) and takes the next purchase
date from it (`training.coherence`), so a customer's probabilities and date agree.

Parameters are kept as given and checked by `fit(frame, labels)`; a baseline count method fits no
count LightGBM (the timing curve is always boosted).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from training.models.gbm import GbmModel, check_labels, fitted_trees, require_fitted, trees_importance
from training.tasks import NEXT_PURCHASE

COUNT_BASELINES = {"bgnbd": "bgnbd_expected_orders", "pnbd": "pnbd_expected_orders"}
COUNT_COMBINATIONS = {"btyd_mean": ("bgnbd", "pnbd")}
COUNT_METHODS = ("gbm", *COUNT_BASELINES, *COUNT_COMBINATIONS)
PURCHASE_OFFSET = "bgnbd_p_purchase"
TIMING_LABELS = ("label_days_to_next", "label_next_observed")
"""The timing curve's labels beside the task's count label: days to the next purchase and whether
it fell inside the window."""


class NextPurchaseModel:
    """Expected orders and the survival curve P(purchase within d) at checkpoints up to the horizon."""

    def __init__(
        self,
        horizon_days: int,
        *,
        probability_days: tuple[int, ...] = (30, 90),
        count_method: str = "gbm",
        params: dict[str, Any] | None = None,
        random_state: int = 0,
    ) -> None:
        self.horizon_days = horizon_days
        self.probability_days = tuple(probability_days)
        self.count_method = count_method
        self.params = params
        self.random_state = random_state

    @property
    def checkpoints(self) -> tuple[int, ...]:
        """Days with an observed label: the requested ones inside the horizon, and the horizon."""
        return tuple(sorted({d for d in self.probability_days if d <= self.horizon_days} | {self.horizon_days}))

    def _check(self) -> None:
        if not isinstance(self.horizon_days, (int, np.integer)) or self.horizon_days < 1:
            raise ValueError(f"horizon_days must be a positive whole number of days; got {self.horizon_days!r}")
        if self.count_method not in COUNT_METHODS:
            raise ValueError(f"count_method must be one of {', '.join(COUNT_METHODS)}; got {self.count_method!r}")
        if not self.probability_days or any(d < 1 for d in self.probability_days):
            raise ValueError(f"probability_days must be positive days; got {self.probability_days!r}")
        if len(set(self.probability_days)) != len(self.probability_days):
            raise ValueError(f"probability_days lists a day twice: {self.probability_days!r}")

    def fit(self, frame: pd.DataFrame, labels: pd.DataFrame) -> NextPurchaseModel:
        """`labels` has, for each row of `frame`, the task's count label (`training.tasks.NEXT_PURCHASE.label`)
        and TIMING_LABELS."""
        self._check()
        check_labels(labels, frame, (NEXT_PURCHASE.label, *TIMING_LABELS), "next-purchase")
        if self.count_method == "gbm":
            orders = labels[NEXT_PURCHASE.label].to_numpy(dtype=float)
            self.count_model_ = GbmModel(NEXT_PURCHASE.objective, params=self.params,
                                         offset_column=NEXT_PURCHASE.offset, random_state=self.random_state
                                         ).fit(frame, orders)
        observed = labels["label_next_observed"].to_numpy(dtype=bool)
        days = labels["label_days_to_next"].to_numpy(dtype=float)
        self.timing_models_ = {}
        for d in self.checkpoints:
            bought = observed & (days <= d)
            self.timing_models_[d] = GbmModel("binary", params=self.params, random_state=self.random_state).fit(
                frame, bought.astype(float)
            )
        return self

    def expected_orders(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected orders in the horizon, by `count_method`."""
        if self.count_method == "gbm":
            return fitted_trees(self, "count_model_", "timing_models_",
                                "this next-purchase model was fitted with a baseline count method, without a count "
                                "LightGBM; fit it with count_method 'gbm' for LightGBM's expected orders").predict(frame)
        require_fitted(self, "timing_models_", "fit(frame, labels)")
        return baseline_orders(frame, self.count_method)

    def importance(self) -> pd.Series | None:
        """The count LightGBM's total gain per feature, largest first; None for a baseline count
        method (no count trees)."""
        return trees_importance(self, "count_model_", "timing_models_")

    def purchase_curve(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Monotone P(purchase within d) for each checkpoint d (columns are the days)."""
        require_fitted(self, "timing_models_", "fit(frame, labels)")
        raw = np.column_stack([self.timing_models_[d].predict(frame) for d in self.checkpoints])
        return pd.DataFrame(np.maximum.accumulate(raw, axis=1), columns=list(self.checkpoints), index=frame.index)


def baseline_orders(frame: pd.DataFrame, method: str) -> np.ndarray:
    """Expected orders of a baseline method or of an equal-weight combination of baselines."""
    members = COUNT_COMBINATIONS.get(method, (method,))
    return np.mean([frame[COUNT_BASELINES[m]].to_numpy(dtype=float) for m in members], axis=0)


def _tail_hazard(curve: pd.DataFrame) -> np.ndarray:
    """Constant daily hazard of the curve's last interval, used beyond the horizon."""
    days = np.array(curve.columns, dtype=float)
    survival = np.clip(1.0 - curve.to_numpy(), 1e-9, 1.0)
    if len(days) == 1:
        return -np.log(survival[:, -1]) / days[-1]
    return np.maximum(np.log(survival[:, -2] / survival[:, -1]) / (days[-1] - days[-2]), 0.0)


def probability_within(curve: pd.DataFrame, day: int) -> np.ndarray:
    """P(purchase within `day`) from the curve: interpolated inside, constant hazard beyond."""
    days = np.array(curve.columns, dtype=float)
    values = curve.to_numpy()
    if day <= days[-1]:
        grid = np.concatenate([[0.0], days])
        padded = np.column_stack([np.zeros(len(values)), values])
        return _interp_rows(grid, padded, day)
    survival_h = 1.0 - values[:, -1]
    return 1.0 - survival_h * np.exp(-_tail_hazard(curve) * (day - days[-1]))


def _interp_rows(grid: np.ndarray, values: np.ndarray, day: float) -> np.ndarray:
    """Row-wise linear interpolation of `values` (one column per grid day) at `day`."""
    hi = int(np.searchsorted(grid, day))
    if grid[hi] == day:
        return values[:, hi]
    lo = hi - 1
    w = (day - grid[lo]) / (grid[hi] - grid[lo])
    return values[:, lo] * (1 - w) + values[:, hi] * w
