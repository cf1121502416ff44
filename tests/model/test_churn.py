"""Churn candidates: the calibrated model, the baselines, and their blend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from training.models.churn import METHODS, ChurnModel

SMALL = {"n_estimators": 40, "min_child_samples": 50}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Customers whose churn depends on what Pareto/NBD sees (its P(purchase)) and on a feature
    it cannot see (`recent_drop`), each snapshot a customer of its own."""
    rng = np.random.default_rng(11)
    n = 6000
    p_purchase = rng.beta(2.0, 2.0, n)
    recent_drop = rng.normal(size=n)
    logit = 2.5 * (0.5 - p_purchase) + 1.2 * recent_drop
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "recent_drop": recent_drop,
        "pnbd_p_purchase": p_purchase,
        "bgnbd_p_purchase": np.clip(p_purchase + rng.normal(0, 0.1, n), 0.01, 0.99),
        "bgnbd_p_no_purchase": 0.0,
        "label_churned": churned.astype(float),
    }).assign(bgnbd_p_no_purchase=lambda f: 1 - f["bgnbd_p_purchase"])


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> ChurnModel:
    train = frame.iloc[:4000]
    return ChurnModel(params=SMALL).fit(train, train)


def test_blend_is_the_mean_of_the_calibrated_model_and_pareto_nbd(frame, fitted) -> None:
    test = frame.iloc[4000:]
    candidates = fitted.candidate_probabilities(test)
    assert set(candidates) == set(METHODS)
    model = fitted.calibrator_.predict(fitted.predict_uncalibrated(test))
    assert candidates["gbm"] == pytest.approx(model)
    assert candidates["pnbd"] == pytest.approx(1 - test["pnbd_p_purchase"].to_numpy())
    assert candidates["bgnbd"] == pytest.approx(1 - test["bgnbd_p_purchase"].to_numpy())
    assert candidates["gbm_pnbd"] == pytest.approx(0.5 * model + 0.5 * (1 - test["pnbd_p_purchase"].to_numpy()))
    assert ((candidates["gbm_pnbd"] >= 0) & (candidates["gbm_pnbd"] <= 1)).all()


def test_each_method_predicts_its_own_candidate(frame, fitted) -> None:
    test = frame.iloc[4000:]
    candidates = fitted.candidate_probabilities(test)
    for method in METHODS:
        fitted.method = method
        assert fitted.predict_proba(test) == pytest.approx(candidates[method])
    fitted.method = "gbm"


def test_the_model_sees_what_the_baseline_cannot(frame, fitted) -> None:
    test = frame.iloc[4000:]
    y = test["label_churned"]
    candidates = fitted.candidate_probabilities(test)
    assert roc_auc_score(y, candidates["gbm"]) > roc_auc_score(y, candidates["pnbd"]) + 0.05
    assert roc_auc_score(y, candidates["gbm_pnbd"]) > roc_auc_score(y, candidates["pnbd"])


def test_unknown_methods_are_refused(fitted, frame) -> None:
    with pytest.raises(ValueError, match="gbm_pnbd"):
        ChurnModel(method="average").fit(frame, frame)
    with pytest.raises(ValueError, match="unknown churn method"):
        fitted.candidate_probabilities(frame, ("gbm", "mean"))


def test_calibration_never_says_certainly() -> None:
    from training.models.calibration import SmoothedIsotonic

    # A perfectly separating score: plain isotonic gives exactly 0.0 and 1.0 on its end blocks.
    scores = np.r_[np.linspace(0, 0.4, 300), np.linspace(0.6, 1, 100)]
    y = np.r_[np.zeros(300), np.ones(100)]
    p = SmoothedIsotonic().fit(scores, y).predict(np.r_[scores, -1.0, 2.0])
    assert (p > 0).all() and (p < 1).all()
    rate = (100 + 0.5) / 401
    assert p[0] == pytest.approx(rate / 301) and p[-1] == pytest.approx((100 + rate) / 101)
    assert (np.diff(SmoothedIsotonic().fit(scores, y).predict(np.sort(scores))) >= 0).all()


def test_churn_probabilities_stay_inside_zero_and_one(frame, fitted) -> None:
    """Also when a baseline calls a customer certainly gone or certainly back (a P(purchase) of
    exactly 0 occurs on a simulated base, for Pareto/NBD as of 2023-06-30)."""
    certain = np.r_[np.zeros(3000), np.ones(3000)]
    extreme = frame.assign(recent_drop=np.r_[np.full(3000, -50.0), np.full(3000, 50.0)],
                           pnbd_p_purchase=certain, bgnbd_p_purchase=certain[::-1])
    for method in METHODS:
        p = fitted.candidate_probabilities(extreme, (method,))[method]
        assert (p > 0).all() and (p < 1).all(), method
