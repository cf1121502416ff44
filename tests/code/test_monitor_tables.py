"""Monitoring tables by hand: deciles, segments, captured shares and the quality warning."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from training.monitor import captured_shares, decile_of, monitor, quality_warnings

# Ten customers ranked by churn probability (c0 the likeliest to buy); c0, c1, c3 and c6 bought.
FRAME = pd.DataFrame({
    "customer_id": [f"c{i}" for i in range(10)],
    "segment_name": ["a"] * 5 + ["b"] * 5,
    "churn_probability": 0.05 + 0.1 * np.arange(10),
    "expected_orders": np.ones(10),
    "predicted_clv": [10, 80, 5, 60, 1, 2, 3, 4, 0, 0],
    "label_churned": [0, 0, 1, 0, 1, 1, 0, 1, 1, 1],
    "label_orders": [2, 1, 0, 1, 0, 0, 1, 0, 0, 0],
    "label_spend": [100, 50, 0, 30, 0, 0, 20, 0, 0, 0],
}).astype({"predicted_clv": float, "label_churned": float, "label_orders": float, "label_spend": float})


def test_deciles_are_equal_count_by_descending_score() -> None:
    assert decile_of(np.array([0.1, 0.9, 0.5, 0.7])).tolist() == [4, 1, 3, 2]
    assert np.bincount(decile_of(np.arange(95.0)))[1:].tolist() == [10] * 5 + [9] * 5


def test_captured_shares_by_hand() -> None:
    table = captured_shares(FRAME).set_index("top_share")
    # buyers: top 1 (c0) 1 of 4, top 2 (c0, c1) 2, top 3 (c0, c1, c2) still 2; best k/4.
    assert table["buyers_captured"].tolist() == [0.25, 0.5, 0.5]
    assert table["buyers_best"].tolist() == [0.25, 0.5, 0.75]
    # spend by predicted CLV: c1 50, + c3 30, + c0 100 of 200; best 100, 150, 180 of 200.
    assert table["spend_captured"].tolist() == [0.25, 0.4, 0.9]
    assert table["spend_best"].tolist() == [0.5, 0.75, 0.9]
    assert table["customers"].tolist() == [1, 2, 3] and table["random"].tolist() == [0.1, 0.2, 0.3]


def test_monitor_tables_by_hand() -> None:
    result = monitor(FRAME, dt.date(2024, 1, 31), 90)
    assert result.window_end == dt.date(2024, 4, 30)
    deciles = result.deciles.set_index("decile")
    assert deciles.index.tolist() == list(range(1, 11)) and (deciles["customers"] == 1).all()
    assert deciles.loc[1, "buyer_lift"] == pytest.approx(2.5), "a sure buyer against a 40 % buyer rate"
    assert deciles["buyers_captured"].tolist() == pytest.approx([0.25, 0.5, 0.5, 0.75, 0.75, 0.75, 1, 1, 1, 1])
    segments = result.segments.set_index("segment_name")
    assert segments.loc["a", "realised_churn"] == pytest.approx(0.4)
    assert segments.loc["b", "buyer_share"] == pytest.approx(0.25)
    assert segments.loc["b", "buyer_lift"] == pytest.approx(0.5)
    assert segments.loc["a", "predicted_churn"] == pytest.approx(0.25)
    # AUC: of the 24 churner/buyer pairs the churner scores higher in 2+3+3+4+4+4 = 20.
    assert result.quality["churn.roc_auc"] == pytest.approx(20 / 24)
    assert result.quality["orders.total_ratio"] == pytest.approx(2.0)
    assert result.quality["churn.realised_rate"] == pytest.approx(0.6)


def test_warning_only_when_quality_falls_well_below_validation() -> None:
    quality = monitor(FRAME, dt.date(2024, 1, 31), 90).quality
    warned = quality_warnings(quality, {"churn.gbm.roc_auc": 0.9, "clv.gbm.gini": 0.5})
    assert len(warned) == 1 and "churn.roc_auc realised 0.833" in warned[0] and "0.900" in warned[0]
    assert quality_warnings(quality, {"churn.gbm.roc_auc": 0.87}) == []
    assert quality_warnings(quality, {}) == []
