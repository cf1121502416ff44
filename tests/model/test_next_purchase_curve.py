"""The survival-curve arithmetic of the next-purchase model, by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from training.models.next_purchase import probability_within


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
