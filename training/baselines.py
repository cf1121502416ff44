"""The classic baselines, fitted on one snapshot: BG/NBD, Pareto/NBD and Gamma-Gamma.

They are reported beside every model and feed the models as features and as boosting offsets.
Inputs are the feature layer's BTYD summary in days (btyd_frequency, btyd_recency, btyd_T,
btyd_monetary); the models are fitted in weeks, the unit of the literature, which keeps the rate
parameters well scaled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from training.btyd import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from training.frame import require_columns

SUMMARY_COLUMNS = ("btyd_frequency", "btyd_recency", "btyd_T", "btyd_monetary")
BASELINE_COLUMNS: tuple[str, ...] = (
    "bgnbd_expected_orders",
    "bgnbd_p_alive",
    "bgnbd_p_purchase",
    "bgnbd_p_no_purchase",
    "pnbd_expected_orders",
    "pnbd_p_alive",
    "pnbd_p_purchase",
    "gg_order_value",
    "bgnbd_gg_spend",
)
DAYS_PER_WEEK = 7.0
MAX_FIT_CUSTOMERS = 200_000
MIN_REPEAT_CUSTOMERS = 10
"""Gamma-Gamma is fitted on repeat customers with positive spend; fewer than this cannot pin it down."""


def repeat_customers(features: pd.DataFrame) -> np.ndarray:
    """True for each customer Gamma-Gamma can learn from: a repeat purchase day and positive spend."""
    require_columns(features, SUMMARY_COLUMNS, "the BTYD baselines")
    return (features["btyd_frequency"].to_numpy(dtype=float) > 0) & (features["btyd_monetary"].to_numpy(dtype=float) > 0)


class Baselines:
    """BG/NBD, Pareto/NBD and Gamma-Gamma predictions for the next `horizon_days`."""

    def __init__(self, horizon_days: int, *, penalizer_coef: float = 0.0,
                 max_fit_customers: int = MAX_FIT_CUSTOMERS, random_state: int = 0) -> None:
        if horizon_days < 1:
            raise ValueError("horizon_days must be a positive number of days")
        if max_fit_customers < 100:
            raise ValueError("max_fit_customers must be at least 100 so the four-parameter fits are identified")
        self.horizon_days = int(horizon_days)
        self.penalizer_coef = penalizer_coef
        self.max_fit_customers = int(max_fit_customers)
        self.random_state = random_state

    @staticmethod
    def _summary(features: pd.DataFrame) -> tuple[np.ndarray, ...]:
        require_columns(features, SUMMARY_COLUMNS, "the BTYD baselines")
        x = features["btyd_frequency"].to_numpy(dtype=float)
        t_x = features["btyd_recency"].to_numpy(dtype=float) / DAYS_PER_WEEK
        age = features["btyd_T"].to_numpy(dtype=float) / DAYS_PER_WEEK
        monetary = features["btyd_monetary"].to_numpy(dtype=float)
        return x, t_x, age, monetary

    def fit(self, features: pd.DataFrame, *, start: Baselines | None = None) -> Baselines:
        """Fit all three models on one snapshot's customers.

        A base larger than `max_fit_customers` is fitted on a seeded random sample of that size:
        four population parameters are pinned down long before a million customers, and each
        likelihood evaluation costs time linear in the customers. `start` (fitted baselines of a
        similar base, such as those stored with the champions) is where the optimizers begin; the
        maximum found is the same, reached in fewer likelihood evaluations.
        """
        if len(features) > self.max_fit_customers:
            features = features.sample(n=self.max_fit_customers, random_state=self.random_state)
        x, t_x, age, monetary = self._summary(features)
        begin = start.params_ if start is not None else {}
        self.bgnbd_ = BetaGeoModel(self.penalizer_coef).fit(x, t_x, age, start=begin.get("bgnbd"))
        self.pnbd_ = ParetoNBDModel(self.penalizer_coef).fit(x, t_x, age, start=begin.get("pnbd"))
        repeat = repeat_customers(features)
        if repeat.sum() < MIN_REPEAT_CUSTOMERS:
            raise ValueError(
                f"Gamma-Gamma needs at least {MIN_REPEAT_CUSTOMERS} repeat customers with positive spend; "
                f"only {int(repeat.sum())} found: fit on a later cutoff or a longer history."
            )
        self.gg_ = GammaGammaModel(self.penalizer_coef).fit(x[repeat], monetary[repeat], start=begin.get("gamma_gamma"))
        return self

    @property
    def params_(self) -> dict[str, dict[str, float]]:
        return {"bgnbd": self.bgnbd_.params_, "pnbd": self.pnbd_.params_, "gamma_gamma": self.gg_.params_}

    @classmethod
    def from_params(cls, horizon_days: int, params: dict[str, dict[str, float]]) -> Baselines:
        """Baselines with known parameters (as stored with a trained model)."""
        model = cls(horizon_days)
        model.bgnbd_ = BetaGeoModel.from_params(params["bgnbd"])
        model.pnbd_ = ParetoNBDModel.from_params(params["pnbd"])
        model.gg_ = GammaGammaModel.from_params(params["gamma_gamma"])
        return model

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """BASELINE_COLUMNS for each customer of `features` (same index)."""
        x, t_x, age, monetary = self._summary(features)
        t = self.horizon_days / DAYS_PER_WEEK
        with np.errstate(all="ignore"):
            bg_orders = self.bgnbd_.expected_purchases(x, t_x, age, t=t)
            bg_purchase = self.bgnbd_.probability_of_purchase(x, t_x, age, t=t)
            has_spend = (x > 0) & (monetary > 0)
            order_value = self.gg_.expected_spend(np.where(has_spend, x, 0.0), np.where(has_spend, monetary, 0.0))
            out = pd.DataFrame(
                {
                    "bgnbd_expected_orders": bg_orders,
                    "bgnbd_p_alive": self.bgnbd_.probability_alive(x, t_x, age),
                    "bgnbd_p_purchase": bg_purchase,
                    "bgnbd_p_no_purchase": 1.0 - bg_purchase,
                    "pnbd_expected_orders": self.pnbd_.expected_purchases(x, t_x, age, t=t),
                    "pnbd_p_alive": self.pnbd_.probability_alive(x, t_x, age),
                    "pnbd_p_purchase": self.pnbd_.probability_of_purchase(x, t_x, age, t=t),
                    "gg_order_value": order_value,
                    "bgnbd_gg_spend": bg_orders * order_value,
                },
                index=features.index,
            )
        return out


def with_baselines(frame: pd.DataFrame, horizon_days: int, fitted: Baselines | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`frame` plus BASELINE_COLUMNS, fitting one Baselines per `as_of` snapshot (or using `fitted`).

    Per-snapshot fitting keeps stacked training rows point-in-time: each snapshot's baselines see
    only that snapshot's data. Returns the frame and the parameters fitted per snapshot.
    """
    pieces, params = [], {}
    if fitted is not None:
        return pd.concat([frame, fitted.transform(frame)], axis=1), {"given": fitted.params_}
    for as_of, block in frame.groupby("as_of", sort=True):
        model = Baselines(horizon_days).fit(block)
        params[str(pd.Timestamp(as_of).date())] = model.params_
        pieces.append(pd.concat([block, model.transform(block)], axis=1))
    return pd.concat(pieces).loc[frame.index], params
