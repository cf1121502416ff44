"""The survival-curve arithmetic of the next-purchase model, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.models.next_purchase import median_day, probability_within


def curve(rows: list[list[float]], days=(30, 60, 90)) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(days))


def test_probability_inside_horizon_interpolates() -> None:
    c = curve([[0.2, 0.4, 0.5]])
    assert probability_within(c, 30)[0] == pytest.approx(0.2)
    assert probability_within(c, 45)[0] == pytest.approx(0.3)
    assert probability_within(c, 15)[0] == pytest.approx(0.1)


def test_probability_beyond_horizon_uses_last_interval_hazard() -> None:
    c = curve([[0.2, 0.4, 0.5]])
    hazard = math.log(0.6 / 0.5) / 30
    assert probability_within(c, 120)[0] == pytest.approx(1 - 0.5 * math.exp(-hazard * 30))


def test_median_day_inside_and_beyond() -> None:
    c = curve([[0.2, 0.6, 0.7], [0.1, 0.2, 0.3], [0.0, 0.0, 0.0]])
    days = median_day(c, max_days=730)
    assert days[0] == pytest.approx(30 + 30 * (0.3 / 0.4))
    hazard = math.log(0.8 / 0.7) / 30
    assert days[1] == pytest.approx(90 + math.log(0.7 / 0.5) / hazard)
    assert np.isnan(days[2])
    assert np.isnan(median_day(c, max_days=100)[1])
