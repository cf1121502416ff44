"""Uplift: who is persuadable. An X-learner on LightGBM fitted on past campaigns with random
control groups, judged by Qini curves on held-out customers.

Why the X-learner (Künzel et al. 2019): campaigns hold out a small control (10-20 %), and the
X-learner uses the large treated group to model the small one's counterfactual and vice versa,
where a T-learner's control model would be fitted on a few hundred customers and a
transformed-outcome model would carry the variance of 1/propensity weights. Stage 1 fits
P(convert | x) separately on treated (mu1) and control (mu0); stage 2 regresses the imputed
effects y - mu0(x) on the treated and mu1(x) - y on the control; the two are blended by the
treated share g of the (randomised) campaign: tau(x) = g * tau0(x) + (1 - g) * tau1(x).

The Qini coefficient is the area between a ranking's Qini curve and the random-targeting diagonal
divided by the same area of the perfect ranking (treated converters first, control converters
last), as in scikit-uplift's `qini_auc_score`: 0 is random targeting, 1 perfect; ties in a score
are taken as one block, so a constant score is exactly random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from training.frame import feature_columns
from training.models.gbm import GbmModel

UPLIFT_PARAMS: dict[str, Any] = {"n_estimators": 150, "learning_rate": 0.03, "num_leaves": 15,
                                 "min_child_samples": 80, "reg_lambda": 5.0}
HOLDOUT_SHARE = 0.3
RANDOM_DRAWS = 20
TREATED_COLUMN, OUTCOME_COLUMN = "treated", "converted"
NOT_FEATURES = (TREATED_COLUMN, OUTCOME_COLUMN, "orders", "revenue", "churn_probability", "predicted_clv",
                "p_purchase_90d", "p_purchase_30d", "expected_orders", "segment_id", "uplift_score")
"""Campaign bookkeeping and model scores: never uplift inputs (the model learns from features only,
so it scores the same customers whatever champions produced the audience)."""


class XLearner:
    """Two-stage X-learner on LightGBM: `fit(frame, treated, converted)`, `predict(frame)` -> uplift."""

    def __init__(self, params: dict[str, Any] | None = None, random_state: int = 0) -> None:
        self.params = {**UPLIFT_PARAMS, **(params or {})}
        self.random_state = random_state

    def _gbm(self, objective: str, offset: int) -> GbmModel:
        return GbmModel(objective, params=self.params, exclude=NOT_FEATURES, random_state=self.random_state + offset)

    def fit(self, frame: pd.DataFrame, treated: np.ndarray, converted: np.ndarray) -> XLearner:
        t = np.asarray(treated, bool)
        y = np.asarray(converted, float)
        if t.all() or not t.any():
            raise ValueError("an uplift model needs both treated and control customers")
        self.features_ = feature_columns(frame, NOT_FEATURES)
        self.treated_share_ = float(t.mean())
        treated_rows, control_rows = frame[t], frame[~t]
        self.mu1_ = self._gbm("binary", 1).fit(treated_rows, y[t])
        self.mu0_ = self._gbm("binary", 2).fit(control_rows, y[~t])
        self.tau1_ = self._gbm("regression", 3).fit(treated_rows, y[t] - self.mu0_.predict(treated_rows))
        self.tau0_ = self._gbm("regression", 4).fit(control_rows, self.mu1_.predict(control_rows) - y[~t])
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Each customer's predicted change in conversion probability when contacted."""
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            frame = frame.assign(**{c: np.nan for c in missing})
        g = self.treated_share_
        return g * self.tau0_.predict(frame) + (1 - g) * self.tau1_.predict(frame)


def qini_curve(converted, treated, score) -> tuple[np.ndarray, np.ndarray]:
    """Customers targeted (x) and incremental converters (y) when targeting by descending score:
    treated converters minus control converters scaled to the treated count; ties are one step."""
    y, t, s = (np.asarray(a, float) for a in (converted, treated, score))
    order = np.argsort(-s, kind="mergesort")
    y, t, s = y[order], t[order], s[order]
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    n_t = np.cumsum(t)[ends]
    n_c = (ends + 1) - n_t
    y_t = np.cumsum(y * t)[ends]
    y_c = np.cumsum(y * (1 - t))[ends]
    gain = y_t - y_c * np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c > 0)
    return np.r_[0.0, ends + 1.0], np.r_[0.0, gain]


def _area_over_random(x: np.ndarray, gain: np.ndarray) -> float:
    return float(np.trapezoid(gain, x) - gain[-1] * x[-1] / 2)


def qini_coefficient(converted, treated, score) -> float:
    """Area between the Qini curve and the diagonal over that of the perfect ranking."""
    y, t = np.asarray(converted, float), np.asarray(treated, float)
    perfect = _area_over_random(*qini_curve(y, t, y * t - y * (1 - t)))
    if perfect == 0:
        return float("nan")
    return _area_over_random(*qini_curve(y, t, score)) / perfect


def random_qini(converted, treated, seed: int = 0, draws: int = RANDOM_DRAWS) -> float:
    """Mean Qini coefficient of random rankings (random targeting; 0 in expectation)."""
    rng = np.random.default_rng(seed)
    n = len(np.asarray(converted))
    return float(np.mean([qini_coefficient(converted, treated, rng.random(n)) for _ in range(draws)]))


def holdout_mask(customer_ids: pd.Series, share: float = HOLDOUT_SHARE, seed: int = 0) -> np.ndarray:
    """True for the customers held out for evaluation: a stable hash of the id, so a customer is
    on the same side in every run and in every campaign."""
    hashed = pd.util.hash_pandas_object(customer_ids.astype(str), index=False, hash_key=f"uplift{seed % 10**10:010d}")
    return (hashed.to_numpy() % 10_000) < share * 10_000


@dataclass(frozen=True)
class UpliftOutcome:
    """A fitted model and its judgement on held-out customers against the targeting baselines."""

    model: XLearner
    evaluation: pd.DataFrame
    holdout: pd.DataFrame
    counts: dict[str, int]

    def qini(self, candidate: str) -> float:
        rows = self.evaluation[self.evaluation["candidate"] == candidate]
        return float(rows["qini"].iloc[0]) if len(rows) else float("nan")


def evaluate(holdout: pd.DataFrame, scores: dict[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Qini coefficient and incremental conversions at the top 30 % per targeting candidate, plus random."""
    y, t = holdout[OUTCOME_COLUMN].to_numpy(float), holdout[TREATED_COLUMN].to_numpy(float)
    rows = []
    for name, score in scores.items():
        x, gain = qini_curve(y, t, score)
        rows.append({"candidate": name, "qini": qini_coefficient(y, t, score),
                     "incremental_top30": float(np.interp(0.3 * len(y), x, gain))})
    rows.append({"candidate": "random", "qini": random_qini(y, t, seed),
                 "incremental_top30": float(0.3 * qini_curve(y, t, np.zeros(len(y)))[1][-1])})
    return pd.DataFrame(rows)


def fit_uplift(frame: pd.DataFrame, *, seed: int = 0, params: dict[str, Any] | None = None) -> UpliftOutcome:
    """Fit on the campaign members outside the holdout; judge the model, targeting by churn
    probability (when the frame has it) and random targeting on the held-out members.

    `frame`: one row per campaign member with the features as of the campaign's cutoff, `treated`
    (bool) and `converted` (0/1 in the campaign window); members of several campaigns may be stacked.
    """
    for column in (TREATED_COLUMN, OUTCOME_COLUMN, "customer_id"):
        if column not in frame.columns:
            raise ValueError(f"the uplift frame needs column '{column}'")
    held = holdout_mask(frame["customer_id"], seed=seed)
    train, holdout = frame[~held], frame[held].reset_index(drop=True)
    for name, part in (("training", train), ("held-out", holdout)):
        t = part[TREATED_COLUMN].to_numpy(bool)
        if t.sum() < 20 or (~t).sum() < 20:
            raise ValueError(f"the {name} members have {int(t.sum())} treated and {int((~t).sum())} control "
                             "customers; an uplift model needs campaigns with at least a few hundred in each group")
    model = XLearner(params, random_state=seed).fit(train, train[TREATED_COLUMN].to_numpy(bool),
                                                    train[OUTCOME_COLUMN].to_numpy(float))
    scores = {"uplift": model.predict(holdout)}
    if "churn_probability" in holdout.columns:
        scores["churn"] = holdout["churn_probability"].to_numpy(float)
    table = evaluate(holdout, scores, seed)
    counts = {"members": len(frame), "train": len(train), "holdout": len(holdout),
              "holdout_treated": int(holdout[TREATED_COLUMN].sum()),
              "holdout_control": int((~holdout[TREATED_COLUMN].astype(bool)).sum())}
    return UpliftOutcome(model, table, holdout.assign(uplift_score=scores["uplift"]), counts)
