"""Customer lifetime value: expected net spend in the next `horizon` days.

A Tweedie LightGBM (compound Poisson-gamma: a point mass at zero and a heavy right tail, the shape
of spend per customer) with the BG/NBD x Gamma-Gamma expected spend among its inputs. Boosting
from that baseline as an offset is available (`offset_column`) but off by default, as the task
registry says (`training.tasks.CLV`, which tuning uses too): on CDNOW's validation snapshots it
ranked customers clearly worse (normalized Gini 0.53 against 0.62), the offset pinning the model
to the baseline's ordering. Returns-only spend is clipped at zero for
fitting: the model predicts what a customer will buy, not refunds. Parameters are kept as given
and checked by `fit(frame, labels)`; the `baseline` method fits no LightGBM.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from training.models.gbm import GbmModel, check_labels, fitted_trees, require_fitted, trees_importance
from training.tasks import CLV

BASELINE_COLUMN = "bgnbd_gg_spend"
METHODS = ("gbm", "baseline")


class ClvModel:
    """Expected spend in the horizon: `method` 'gbm' (Tweedie LightGBM) or 'baseline'."""

    def __init__(
        self,
        *,
        method: str = "gbm",
        params: dict[str, Any] | None = None,
        offset_column: str | None = CLV.offset,
        tweedie_variance_power: float = 1.5,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.params = params
        self.offset_column = offset_column
        self.tweedie_variance_power = tweedie_variance_power
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, labels: pd.DataFrame) -> ClvModel:
        """Fit on `labels`' spend (`training.tasks.CLV.label`) for each row of `frame`; the baseline
        method only checks its input: it has no trees."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if not 1.0 < self.tweedie_variance_power < 2.0:
            raise ValueError(f"tweedie_variance_power must lie strictly between 1 and 2; got {self.tweedie_variance_power}")
        spend = check_labels(labels, frame, (CLV.label,), "CLV")[CLV.label]
        y = np.clip(spend.to_numpy(dtype=float), 0.0, None)
        self.n_examples_ = len(y)
        if self.method == "baseline":
            return self
        params = {"tweedie_variance_power": self.tweedie_variance_power, **(self.params or {})}
        self.model_ = GbmModel(CLV.objective, params=params, offset_column=self.offset_column,
                               random_state=self.random_state).fit(frame, y)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend in the horizon, in currency units."""
        if self.method == "baseline":
            require_fitted(self, "n_examples_", "fit(frame, labels)")
            return np.clip(frame[BASELINE_COLUMN].to_numpy(dtype=float), 0.0, None)
        return self._trees().predict(frame)

    def _trees(self) -> GbmModel:
        """The fitted LightGBM; NotFittedError before fit, ValueError for the baseline fitted without one."""
        return fitted_trees(self, "model_", "n_examples_", "this CLV model was fitted as 'baseline', without "
                            "trees; fit it with method 'gbm' for LightGBM's predictions")

    def importance(self) -> pd.Series | None:
        """LightGBM's total gain per feature, largest first; None for the baseline (no trees)."""
        return trees_importance(self, "model_", "n_examples_")

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions to log expected spend (the baseline has none: see
        `training.attribution`)."""
        return self._trees().contributions(frame)

    @property
    def feature_names_(self) -> list[str]:
        return self._trees().feature_names_
