"""The timing curve anchored on churn (`training.coherence`), by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.coherence import coherent_predictions


def curve(rows: list[list[float]], days=(30, 90, 182)) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(days))


def test_the_curve_is_rescaled_to_end_at_one_minus_churn() -> None:
    """Raw curve 0.4, 0.6, 0.8 (timing given a purchase: 1/2, 3/4, 1) with churn 0.52: P(182) 0.48,
    P(90) 0.36, P(30) 0.24; no median inside 182 days."""
    out = coherent_predictions(curve([[0.4, 0.6, 0.8]]), np.array([0.52]), np.array([0.3]), (30, 90))
    row = out.iloc[0]
    assert row["p_purchase_30d"] == pytest.approx(0.24)
    assert row["p_purchase_90d"] == pytest.approx(0.36)
    assert row["expected_orders"] == pytest.approx(0.48)
    assert math.isnan(row["days_to_next"]) and row["next_purchase_after_horizon"]


def test_the_median_is_read_from_the_rescaled_curve_inside_the_horizon() -> None:
    """Raw 0.2, 0.3, 0.5 with churn 0.2: P = 0.32, 0.48, 0.8; one half is reached 2/32 of the way
    from day 90 to day 182."""
    out = coherent_predictions(curve([[0.2, 0.3, 0.5]]), np.array([0.2]), np.array([2.5]), (30, 90))
    row = out.iloc[0]
    assert row["p_purchase_30d"] == pytest.approx(0.32)
    assert row["p_purchase_90d"] == pytest.approx(0.48)
    assert row["expected_orders"] == pytest.approx(2.5)
    assert row["days_to_next"] == pytest.approx(90 + 92 * (0.02 / 0.32))
    assert not row["next_purchase_after_horizon"]


def test_a_checkpoint_past_the_horizon_keeps_the_curve_s_survival_shape() -> None:
    """Horizon 60, raw 0.2 at 30 and 0.4 at 60: the tail hazard is ln(0.8/0.6)/30, so the raw
    survival from 60 to 90 shrinks by 0.6/0.8 = 0.75; with churn 0.5 P(90) = 1 - 0.5 * 0.75."""
    out = coherent_predictions(curve([[0.2, 0.4]], days=(30, 60)), np.array([0.5]), np.array([1.0]), (30, 90))
    row = out.iloc[0]
    assert row["p_purchase_30d"] == pytest.approx(0.25)
    assert row["p_purchase_90d"] == pytest.approx(1 - 0.5 * 0.75)
    assert row["days_to_next"] == pytest.approx(60)


def test_ordering_holds_for_any_curve_and_churn() -> None:
    rng = np.random.default_rng(5)
    raw = np.maximum.accumulate(rng.uniform(0, 1, size=(2000, 3)), axis=1)
    raw[:5] = 0.0
    churn = rng.uniform(0, 1, size=2000)
    out = coherent_predictions(curve(raw.tolist()), churn, rng.uniform(0, 0.5, size=2000), (30, 90))
    assert (out["p_purchase_30d"] <= out["p_purchase_90d"] + 1e-12).all()
    assert np.allclose(np.maximum(out["p_purchase_90d"], 1 - churn), 1 - churn)
    assert (out["expected_orders"] >= 1 - churn - 1e-12).all()
    dated = out["days_to_next"].notna().to_numpy()
    assert np.array_equal(dated, 1 - churn >= 0.5)
    assert (out.loc[dated, "days_to_next"] <= 182).all()
