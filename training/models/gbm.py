"""LightGBM on a customer feature frame, optionally boosted from a baseline model's prediction.

With `offset_column`, boosting starts from the baseline (its log or logit is LightGBM's
`init_score`), so the trees learn corrections to BG/NBD-style predictions rather than the whole
signal. On thin data (few trees, strong regularisation) the model stays close to the baseline; on
rich data the trees add what recency and frequency cannot see. This is "boosting from a base
margin" (Friedman 2001, section 4.6; xgboost's base_margin).
"""

from __future__ import annotations

from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from training.frame import feature_columns, require_columns

Objective = Literal["binary", "poisson", "tweedie", "regression"]
OBJECTIVES: tuple[str, ...] = ("binary", "poisson", "tweedie", "regression")

DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "max_bin": 127,
}
_EPS = 1e-6
SINGLE_THREAD_ROWS = 2_000


def offset_link(values: np.ndarray, objective: Objective) -> np.ndarray:
    """Baseline prediction -> LightGBM raw score: logit for probabilities, log for counts/values."""
    values = np.asarray(values, dtype=float)
    if objective == "binary":
        p = np.clip(values, _EPS, 1 - _EPS)
        return np.log(p / (1 - p))
    if objective in ("poisson", "tweedie"):
        return np.log(np.clip(values, _EPS, None))
    return values


def inverse_link(raw: np.ndarray, objective: Objective) -> np.ndarray:
    """LightGBM raw score -> prediction on the scale of the target."""
    if objective == "binary":
        return 1.0 / (1.0 + np.exp(-raw))
    if objective in ("poisson", "tweedie"):
        return np.exp(raw)
    return raw


def require_fitted(model: object, attribute: str, what: str) -> None:
    """NotFittedError saying `what` to call when `model` lacks the fitted `attribute`."""
    if not hasattr(model, attribute):
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call {what} before predicting")


def fitted_trees(model: object, trees: str, fitted: str, without_trees: str) -> GbmModel:
    """`model`'s LightGBM in attribute `trees`: NotFittedError while `fitted` is unset, ValueError
    `without_trees` for a model fitted with a baseline (no trees)."""
    require_fitted(model, fitted, "fit(frame, labels)")
    if not hasattr(model, trees):
        raise ValueError(without_trees)
    return getattr(model, trees)


def trees_importance(model: object, trees: str, fitted: str) -> pd.Series | None:
    """The total gain per feature of `model`'s LightGBM in attribute `trees`, largest first; None
    for a model fitted with a baseline (no trees); NotFittedError while `fitted` is unset."""
    require_fitted(model, fitted, "fit(frame, labels)")
    return getattr(model, trees).importance() if hasattr(model, trees) else None


def check_labels(labels: pd.DataFrame, frame: pd.DataFrame, columns: tuple[str, ...], model: str) -> pd.DataFrame:
    """`labels` as a frame with `columns`, one row per row of `frame`; a ValueError in model terms otherwise."""
    if not isinstance(labels, pd.DataFrame):
        raise ValueError(f"the {model} model is fitted on a labels frame with column(s) {', '.join(columns)}; "
                         f"got {type(labels).__name__}")
    missing = [c for c in columns if c not in labels.columns]
    if missing:
        raise ValueError(f"the {model} model needs the label column(s) {', '.join(missing)}, which the labels lack")
    if len(labels) != len(frame):
        raise ValueError(f"the labels have {len(labels)} rows but the frame has {len(frame)}")
    return labels


class GbmModel:
    """One LightGBM model on the numeric columns of a frame, with an optional baseline offset.

    Parameters are kept as given and checked by `fit`; LightGBM's settings are DEFAULT_PARAMS
    updated with `params`.
    """

    def __init__(
        self,
        objective: Objective,
        *,
        params: dict[str, Any] | None = None,
        offset_column: str | None = None,
        exclude: tuple[str, ...] = (),
        random_state: int = 0,
    ) -> None:
        self.objective = objective
        self.params = params
        self.offset_column = offset_column
        self.exclude = tuple(exclude)
        self.random_state = random_state

    def _offset(self, frame: pd.DataFrame) -> np.ndarray | None:
        if self.offset_column is None:
            return None
        require_columns(frame, [self.offset_column], f"{self.objective} model's baseline offset")
        return offset_link(frame[self.offset_column].to_numpy(dtype=float), self.objective)

    def fit(
        self,
        frame: pd.DataFrame,
        target: pd.Series | np.ndarray,
        *,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        callbacks: list | None = None,
    ) -> GbmModel:
        """Fit on `frame`'s feature columns; the offset column stays an input feature too.

        `eval_set` (frame, target) is scored after each boosting round for `callbacks` (used by
        tuning to prune unpromising trials).
        """
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}; got {self.objective!r}")
        y = np.asarray(target, dtype=float)
        if len(y) != len(frame):
            raise ValueError(f"target has {len(y)} rows but the frame has {len(frame)}")
        if self.objective in ("poisson", "tweedie") and (y < 0).any():
            raise ValueError(f"{self.objective} targets must be >= 0; clip returns-only spend at 0 first")
        self.feature_names_ = feature_columns(frame, self.exclude)
        params = {**DEFAULT_PARAMS, **(self.params or {})}
        estimator_cls = lgb.LGBMClassifier if self.objective == "binary" else lgb.LGBMRegressor
        self.estimator_ = estimator_cls(
            objective=self.objective, random_state=self.random_state, verbose=-1, n_jobs=-1, **params
        )
        fit_kwargs: dict[str, Any] = {"init_score": self._offset(frame), "callbacks": callbacks}
        if eval_set is not None:
            eval_frame, eval_y = eval_set
            fit_kwargs["eval_set"] = [(eval_frame[self.feature_names_], np.asarray(eval_y, dtype=float))]
            offset = self._offset(eval_frame)
            fit_kwargs["eval_init_score"] = None if offset is None else [offset]
        self.estimator_.fit(frame[self.feature_names_], y, **fit_kwargs)
        return self

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's raw score including the baseline offset."""
        require_fitted(self, "estimator_", "fit(frame, target)")
        require_columns(frame, self.feature_names_, "this model")
        raw = self.estimator_.predict(frame[self.feature_names_], raw_score=True, **_threads_for(frame))
        offset = self._offset(frame)
        return raw if offset is None else raw + offset

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions on the target's scale (probability, count or value)."""
        return inverse_link(self.raw_score(frame), self.objective)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions to the raw score (SHAP values from LightGBM's pred_contrib).

        The `baseline` column holds the offset plus LightGBM's expected value, so each row sums to
        the raw score.
        """
        require_fitted(self, "estimator_", "fit(frame, target)")
        require_columns(frame, self.feature_names_, "this model")
        contrib = self.estimator_.predict(frame[self.feature_names_], pred_contrib=True, **_threads_for(frame))
        out = pd.DataFrame(contrib[:, :-1], columns=self.feature_names_, index=frame.index)
        base = contrib[:, -1]
        offset = self._offset(frame)
        out["baseline"] = base if offset is None else base + offset
        return out

    def importance(self) -> pd.Series:
        """Total gain per feature, largest first."""
        require_fitted(self, "estimator_", "fit(frame, target)")
        booster = self.estimator_.booster_
        gains = booster.feature_importance(importance_type="gain")
        return pd.Series(gains, index=self.feature_names_).sort_values(ascending=False)


def _threads_for(frame: pd.DataFrame) -> dict[str, int]:
    """One thread for a few rows (an API request): starting OpenMP threads costs more than they save."""
    return {"num_threads": 1} if len(frame) < SINGLE_THREAD_ROWS else {}
