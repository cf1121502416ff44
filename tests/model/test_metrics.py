"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training import metrics


def test_rmse_mae_total() -> None:
    actual, predicted = [0, 2, 4], [1, 2, 1]
    assert metrics.rmse(actual, predicted) == pytest.approx(math.sqrt((1 + 0 + 9) / 3))
    assert metrics.mae(actual, predicted) == pytest.approx(4 / 3)
    assert metrics.total_ratio(actual, predicted) == pytest.approx(4 / 6)


def test_gini_by_hand() -> None:
    # ordering by prediction: actual [3, 1, 0, 0]; cumulative shares 3/4, 1, 1, 1 -> mean 0.9375
    # Gini = 0.9375 - (4 + 1) / 8 = 0.3125; perfect ordering is the same here -> normalized 1
    actual, predicted = [0, 1, 3, 0], [0.1, 0.5, 0.9, 0.2]
    assert metrics.gini(actual, predicted) == pytest.approx(0.3125)
    assert metrics.normalized_gini(actual, predicted) == pytest.approx(1.0)
    # reversed ordering: actual [0, 0, 1, 3]; shares 0, 0, 1/4, 1 -> mean 0.3125 -> Gini -0.3125
    assert metrics.normalized_gini(actual, [0.9, 0.5, 0.1, 0.8]) == pytest.approx(-1.0)


def test_probability_scores_and_tables() -> None:
    labels, probs = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    scores = metrics.probability_scores(labels, probs)
    assert scores["roc_auc"] == pytest.approx(0.75)
    assert scores["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    gains = metrics.lift_table(labels, probs, bins=2)
    assert gains.tolist() == [0.5, 1.0]
    mean_p, rate, n = metrics.calibration_table(labels, probs, bins=2)
    assert mean_p.tolist() == pytest.approx([0.225, 0.6]) and rate.tolist() == [0.5, 0.5]
    assert n.tolist() == [2, 2]


def test_shape_mismatch_is_explained() -> None:
    with pytest.raises(ValueError, match="shape"):
        metrics.rmse([1, 2], [1])
