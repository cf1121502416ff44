"""Churn: probability of no purchase in the next `horizon` days.

LightGBM boosted from the BG/NBD probability of no purchase, then calibrated with isotonic
regression (its steps shrunk towards the base rate, so no probability is exactly 0 or 1; see
`calibration`) fitted on out-of-fold predictions (customers grouped, so one customer's stacked
snapshots never sit on both sides of a fold), as scikit-learn's CalibratedClassifierCV does with
`ensemble=False`.

Methods: `gbm` (that model), `bgnbd` / `pnbd` (the baselines' P(no purchase) as they are) and
`gbm_pnbd`, the equal-weight mean of the calibrated model and Pareto/NBD. Like the orders task's
`btyd_mean`, two forecasters with different errors average into one better than either (Bates &
Granger, 1969); on thin single-cohort data such as CDNOW it is what beats both, and the job picks
it only when it validates best. A mean of two calibrated probabilities stays a probability.

Like a scikit-learn estimator: parameters are kept as given and checked by `fit(frame, labels)`;
a baseline method fits no LightGBM (it has nothing to learn), a blend and `gbm` fit it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from training.models.calibration import SmoothedIsotonic
from training.models.gbm import (
    GbmModel,
    check_labels,
    fitted_trees,
    offset_link,
    require_fitted,
    trees_importance,
)
from training.tasks import CHURN

CERTAINTY_MARGIN = 1e-9
"""How far a baseline's churn probability stays from 0 and 1: BTYD probabilities are accurate to
about 1e-13, and one that calls a customer certainly gone (P(purchase) 0 in floating point, e.g. a
one-time buyer of long ago on a simulated base) claims more than any history shows."""
BASELINE_METHODS = {"bgnbd": "bgnbd_p_purchase", "pnbd": "pnbd_p_purchase"}
BLEND_METHODS = {"gbm_pnbd": "pnbd"}
BLEND_WEIGHT = 0.5
"""The model's weight in a blend; the baseline has the rest."""
METHODS = ("gbm", *BLEND_METHODS, *BASELINE_METHODS)


class ChurnModel:
    """Calibrated P(churn) = P(no purchase in the horizon); `method` one of METHODS."""

    def __init__(
        self,
        *,
        method: str = "gbm",
        params: dict[str, Any] | None = None,
        offset_column: str | None = CHURN.offset,
        calibration_folds: int = 2,
        random_state: int = 0,
    ) -> None:
        self.method = method
        self.params = params
        self.offset_column = offset_column
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def _model(self) -> GbmModel:
        return GbmModel(CHURN.objective, params=self.params, offset_column=self.offset_column,
                        random_state=self.random_state)

    def _check(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds must be at least 2; got {self.calibration_folds}")

    def fit(self, frame: pd.DataFrame, labels: pd.DataFrame) -> ChurnModel:
        """Fit on stacked snapshots: `labels` has the churn label (`training.tasks.CHURN.label`) for
        each row of `frame`, whose customer ids keep one customer's snapshots within one
        calibration fold. A baseline method only checks its input: it has no trees."""
        self._check()
        y = check_labels(labels, frame, (CHURN.label,), "churn")[CHURN.label].to_numpy(dtype=float)
        self.n_examples_ = len(y)
        if self.method in BASELINE_METHODS:
            return self
        groups = frame["customer_id"].to_numpy()
        out_of_fold = np.empty(len(y))
        folds = GroupKFold(n_splits=min(self.calibration_folds, len(np.unique(groups))))
        for train_idx, test_idx in folds.split(frame, y, groups):
            fold = self._model().fit(frame.iloc[train_idx], y[train_idx])
            out_of_fold[test_idx] = fold.predict(frame.iloc[test_idx])
        self.calibrator_ = SmoothedIsotonic().fit(out_of_fold, y)
        self.model_ = self._model().fit(frame, y)
        return self

    def predict_uncalibrated(self, frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's probability before calibration (what the contributions explain)."""
        return self._trees().predict(frame)

    def _trees(self) -> GbmModel:
        """The fitted LightGBM; NotFittedError before fit, ValueError for a baseline fitted without one."""
        return fitted_trees(self, "model_", "n_examples_",
                            f"this churn model was fitted as '{self.method}', a baseline without trees; fit it with "
                            f"a method of {', '.join(m for m in METHODS if m not in BASELINE_METHODS)} for "
                            "LightGBM's probability")

    def importance(self) -> pd.Series | None:
        """LightGBM's total gain per feature, largest first; None for a baseline (no trees)."""
        return trees_importance(self, "model_", "n_examples_")

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of churn in the horizon, by `method`."""
        return self.candidate_probabilities(frame, (self.method,))[self.method]

    def candidate_probabilities(self, frame: pd.DataFrame, methods: tuple[str, ...] = METHODS) -> dict[str, np.ndarray]:
        """P(churn) of each of `methods` from one fitted model, for the job to compare on validation."""
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown churn method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
        require_fitted(self, "n_examples_", "fit(frame, labels)")
        out: dict[str, np.ndarray] = {}
        model = None
        if any(m not in BASELINE_METHODS for m in methods):
            raw = self.predict_uncalibrated(frame)
            model = self.calibrator_.predict(raw)
        for method in methods:
            if method == "gbm":
                out[method] = model
            elif method in BLEND_METHODS:
                out[method] = BLEND_WEIGHT * model + (1 - BLEND_WEIGHT) * _baseline_churn(frame, BLEND_METHODS[method])
            else:
                out[method] = _baseline_churn(frame, method)
        return out

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions to the churn log-odds, with a `baseline` column (rows sum to it).

        `gbm`: LightGBM's SHAP values. A blend is explained as the weighted log-odds average of its
        parts: the model's contributions times its weight, and the baseline part as one reason, its
        `<baseline>_p_purchase` column, worth the baseline's weight times its log-odds of churn minus
        the model's starting point (added to that column's own share in the model). Calibration is
        monotone and left out, as for `gbm`. The pure baselines have no trees; see
        `training.attribution`.
        """
        if self.method in BASELINE_METHODS:
            raise ValueError(f"the {self.method} churn model has no trees; explain it with training.attribution")
        contrib = self._trees().contributions(frame)
        if self.method == "gbm":
            return contrib
        column = BASELINE_METHODS[BLEND_METHODS[self.method]]
        logit = offset_link(_baseline_churn(frame, BLEND_METHODS[self.method]), CHURN.objective)
        out = contrib * BLEND_WEIGHT
        out["baseline"] = contrib["baseline"]
        part = (1 - BLEND_WEIGHT) * (logit - contrib["baseline"].to_numpy())
        out[column] = (out[column] if column in out else 0.0) + part
        return out

    @property
    def feature_names_(self) -> list[str]:
        return self._trees().feature_names_


def _baseline_churn(frame: pd.DataFrame, method: str) -> np.ndarray:
    """The baseline's P(no purchase in the horizon), kept CERTAINTY_MARGIN inside (0, 1)."""
    churn = 1.0 - frame[BASELINE_METHODS[method]].to_numpy(dtype=float)
    return np.clip(churn, CERTAINTY_MARGIN, 1.0 - CERTAINTY_MARGIN)
