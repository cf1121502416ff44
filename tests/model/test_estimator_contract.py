"""The LightGBM models behave like scikit-learn estimators: fit(frame, labels), parameters kept as
given and checked by fit, NotFittedError before fit, and no trees for a baseline method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from training.models.churn import ChurnModel
from training.models.clv import ClvModel
from training.models.gbm import GbmModel
from training.models.next_purchase import NextPurchaseModel

SMALL = {"n_estimators": 5, "num_leaves": 4, "min_child_samples": 5}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 600
    rate = rng.gamma(2.0, 0.5, n)
    orders = rng.poisson(rate)
    return pd.DataFrame({
        "customer_id": [f"c{i % 300}" for i in range(n)],
        "recency_days": rng.uniform(0, 300, n),
        "bgnbd_expected_orders": rate,
        "pnbd_expected_orders": rate * 1.1,
        "bgnbd_p_purchase": 1 - np.exp(-rate),
        "bgnbd_p_no_purchase": np.exp(-rate),
        "pnbd_p_purchase": 1 - np.exp(-1.1 * rate),
        "bgnbd_gg_spend": rate * 40.0,
        "label_orders": orders.astype(float),
        "label_churned": (orders == 0).astype(float),
        "label_spend": orders * rng.gamma(2.0, 20.0, n),
        "label_next_observed": orders > 0,
        "label_days_to_next": np.where(orders > 0, rng.uniform(1, 90, n), np.nan),
    })


MODELS = {
    "churn": lambda **kw: ChurnModel(params=SMALL, **kw),
    "clv": lambda **kw: ClvModel(params=SMALL, **kw),
    "next purchase": lambda **kw: NextPurchaseModel(91, params=SMALL, **kw),
}
PREDICT = {
    "churn": lambda m, f: m.predict_proba(f),
    "clv": lambda m, f: m.predict(f),
    "next purchase": lambda m, f: m.expected_orders(f),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_predicting_before_fit_says_to_fit_first(name: str, frame: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match=r"is not fitted yet; call fit\(frame, labels\)"):
        PREDICT[name](MODELS[name](), frame)


def test_the_booster_says_so_too(frame: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match="GbmModel is not fitted yet"):
        GbmModel("poisson").predict(frame)


@pytest.mark.parametrize("name", list(MODELS))
def test_one_fit_shape_and_the_same_rows_in_and_out(name: str, frame: pd.DataFrame) -> None:
    model = MODELS[name]().fit(frame, frame)
    assert PREDICT[name](model, frame).shape == (len(frame),)
    with pytest.raises(ValueError, match="labels have 599 rows but the frame has 600"):
        MODELS[name]().fit(frame, frame.iloc[1:])
    with pytest.raises(ValueError, match=r"needs the label column\(s\) label_"):
        MODELS[name]().fit(frame, frame[["customer_id"]])
    with pytest.raises(ValueError, match="fitted on a labels frame"):
        MODELS[name]().fit(frame, frame["label_orders"])


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ChurnModel(method="average"), "method must be one of gbm, gbm_pnbd, bgnbd, pnbd; got 'average'"),
    (lambda: ChurnModel(calibration_folds=1), "calibration_folds must be at least 2; got 1"),
    (lambda: ClvModel(method="mean"), "method must be one of gbm, baseline; got 'mean'"),
    (lambda: ClvModel(tweedie_variance_power=2.0), "tweedie_variance_power must lie strictly between 1 and 2"),
    (lambda: NextPurchaseModel(0), "horizon_days must be a positive whole number of days; got 0"),
    (lambda: NextPurchaseModel(91, count_method="median"), "count_method must be one of gbm, bgnbd, pnbd, btyd_mean"),
    (lambda: NextPurchaseModel(91, probability_days=(30, 30)), r"probability_days lists a day twice: \(30, 30\)"),
    (lambda: NextPurchaseModel(91, probability_days=(0,)), "probability_days must be positive days"),
])
def test_parameters_are_kept_as_given_and_checked_by_fit(make, message: str, frame: pd.DataFrame) -> None:
    model = make()
    with pytest.raises(ValueError, match=message):
        model.fit(frame, frame)


def test_a_baseline_method_fits_no_lightgbm(frame: pd.DataFrame) -> None:
    churn = ChurnModel(method="bgnbd").fit(frame, frame)
    assert not hasattr(churn, "model_") and churn.importance() is None
    assert churn.predict_proba(frame) == pytest.approx(np.exp(-frame["bgnbd_expected_orders"].to_numpy()), rel=1e-9)
    with pytest.raises(ValueError, match="bgnbd churn model has no trees"):
        churn.contributions(frame)
    with pytest.raises(ValueError, match="fitted as 'bgnbd', a baseline without trees"):
        churn.candidate_probabilities(frame, ("gbm",))
    clv = ClvModel(method="baseline").fit(frame, frame)
    assert not hasattr(clv, "model_") and clv.importance() is None
    assert clv.predict(frame) == pytest.approx(frame["bgnbd_gg_spend"].to_numpy())
    count = NextPurchaseModel(91, count_method="btyd_mean").fit(frame, frame)
    assert not hasattr(count, "count_model_") and count.importance() is None
    assert count.expected_orders(frame) == pytest.approx(1.05 * frame["bgnbd_expected_orders"].to_numpy())
    assert set(count.timing_models_) == {30, 90, 91}


def test_a_tree_method_reports_its_importance(frame: pd.DataFrame) -> None:
    for model in (ChurnModel(params=SMALL).fit(frame, frame), ClvModel(params=SMALL).fit(frame, frame),
                  NextPurchaseModel(91, params=SMALL).fit(frame, frame)):
        importance = model.importance()
        assert importance is not None and "recency_days" in importance.index
        assert "label_orders" not in importance.index and "customer_id" not in importance.index
