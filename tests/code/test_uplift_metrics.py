"""Qini curves and coefficients by hand, and the X-learner on data with a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.uplift import XLearner, fit_uplift, holdout_mask, qini_coefficient, qini_curve, random_qini

# Six customers by descending score; treated 1/0 alternating.
Y = np.array([1, 0, 0, 1, 1, 0])
T = np.array([1, 0, 1, 0, 1, 0])
S = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
FAST = {"n_estimators": 60, "learning_rate": 0.08}


def test_qini_curve_by_hand() -> None:
    # k=1: 1 treated converter, no control -> 1; k=4: 1 - 1 x 2/2 = 0; k=5: 2 - 1 x 3/2 = 0.5; k=6: 2 - 1 = 1.
    x, gain = qini_curve(Y, T, S)
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert gain.tolist() == [0, 1, 1, 1, 0, 0.5, 1]


def test_qini_coefficient_by_hand() -> None:
    # Model: trapezoid area 4.0, the diagonal 1 x 6 / 2 = 3 -> 1.0 above random. Perfect ranking
    # (treated converters, then the rest as one tied block, then the control converter):
    # x = 0, 2, 5, 6; gain = 0, 2, 2, 1 -> area 9.5, 6.5 above random. Qini = 1 / 6.5.
    assert qini_coefficient(Y, T, S) == pytest.approx(1 / 6.5)
    assert qini_coefficient(Y, T, Y * T - Y * (1 - T)) == pytest.approx(1.0)
    assert qini_coefficient(Y, T, np.zeros(6)) == 0.0, "a constant score is one tied block: random"


def test_random_targeting_is_zero_in_expectation() -> None:
    rng = np.random.default_rng(0)
    y, t = rng.random(4000) < 0.2, rng.random(4000) < 0.5
    assert abs(random_qini(y, t, draws=20)) < 0.05


def test_holdout_is_stable_per_customer_and_near_its_share() -> None:
    ids = pd.Series([f"C{i}" for i in range(10_000)])
    held = holdout_mask(ids)
    assert abs(held.mean() - 0.3) < 0.02
    assert (holdout_mask(ids.iloc[::-1].reset_index(drop=True)) == held[::-1]).all()
    assert (holdout_mask(ids, seed=1) != held).mean() > 0.3


@pytest.fixture(scope="module")
def known_effect() -> pd.DataFrame:
    """A randomised campaign where contact lifts conversion by 25 pp for x1 > 0.5 and lowers it by
    5 pp otherwise; the churn score is high exactly where the effect is absent."""
    rng = np.random.default_rng(7)
    n = 5000
    x1, x2 = rng.random(n), rng.random(n)
    treated = rng.random(n) < 0.6
    tau = np.where(x1 > 0.5, 0.25, -0.05)
    base = 0.1 + 0.2 * x2
    converted = rng.random(n) < base + treated * tau
    return pd.DataFrame({"customer_id": [f"K{i}" for i in range(n)], "x1": x1, "x2": x2, "treated": treated,
                         "converted": converted.astype(float), "churn_probability": 1 - x1 + 0.1 * rng.random(n),
                         "true_uplift": tau})


def test_x_learner_recovers_a_known_heterogeneous_effect(known_effect: pd.DataFrame) -> None:
    frame = known_effect.drop(columns="true_uplift")
    model = XLearner(FAST).fit(frame, frame["treated"].to_numpy(), frame["converted"].to_numpy())
    assert model.features_ == ["x1", "x2"], "bookkeeping and model scores are never inputs"
    predicted = model.predict(frame)
    high = known_effect["x1"] > 0.5
    assert predicted[high].mean() == pytest.approx(0.25, abs=0.05)
    assert predicted[~high].mean() == pytest.approx(-0.05, abs=0.05)


def test_fit_uplift_judges_against_churn_and_random_on_held_out_customers(known_effect: pd.DataFrame) -> None:
    outcome = fit_uplift(known_effect.drop(columns="true_uplift"), params=FAST)
    assert outcome.counts["holdout"] == int(holdout_mask(known_effect["customer_id"]).sum())
    assert set(outcome.evaluation["candidate"]) == {"uplift", "churn", "random"}
    assert outcome.qini("uplift") > outcome.qini("random") + 0.05
    assert outcome.qini("churn") < 0, "targeting the likely churners reaches those the campaign puts off"
    with pytest.raises(ValueError, match="needs column 'treated'"):
        fit_uplift(known_effect.drop(columns="treated"))
