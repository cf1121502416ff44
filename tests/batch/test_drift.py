"""Population stability index against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.drift import FeatureReference, drifted, psi


def test_psi_of_two_share_vectors_by_hand() -> None:
    expected = [0.5, 0.5, 0.0]
    actual = [0.25, 0.75, 0.0]
    by_hand = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi(expected, actual) == pytest.approx(by_hand)
    assert psi(expected, expected) == 0.0


def test_reference_bins_and_missing_values() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["a", "b", "c", "d"]})
    ref = FeatureReference.fit(reference, ["x", "label", "absent"], bins=2)
    assert list(ref.edges) == ["x"]
    np.testing.assert_allclose(ref.edges["x"], [2.5])
    np.testing.assert_allclose(ref.shares["x"], [0.5, 0.5, 0.0])

    same = ref.psi(pd.DataFrame({"x": [0.0, 2.0, 3.0, 9.0]}))
    assert same["x"] == pytest.approx(0.0)

    shifted = ref.psi(pd.DataFrame({"x": [3.0, 3.0, 4.0, np.nan]}))
    by_hand = (1e-4 - 0.5) * math.log(1e-4 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5) \
        + (0.25 - 1e-4) * math.log(0.25 / 1e-4)
    assert shifted["x"] == pytest.approx(by_hand)
    assert list(drifted(shifted, 0.25).index) == ["x"]


def test_constant_reference_and_too_few_bins() -> None:
    ref = FeatureReference.fit(pd.DataFrame({"x": [5.0] * 10}), ["x"])
    assert ref.psi(pd.DataFrame({"x": [5.0] * 3}))["x"] == pytest.approx(0.0)
    assert ref.psi(pd.DataFrame({"x": [6.0] * 3}))["x"] > 1.0
    with pytest.raises(ValueError, match="bins must be at least 2"):
        FeatureReference.fit(pd.DataFrame({"x": [1.0]}), ["x"], bins=1)
