"""Isotonic calibration that never says "certainly": each step shrunk towards the base rate.

Plain isotonic regression (Zadrozny & Elkan, 2002) sets each step to the observed rate of its
block, so a block with only churners predicts exactly 1.0 and one with none exactly 0.0, certainty
no finite sample supports. Here each block's rate is the posterior mean under a Beta prior of
`prior_strength` pseudo-observations at the overall rate, (positives + m * rate) / (n + m), and the
steps are made monotone again by a second isotonic pass. Large blocks barely move; every
probability lies strictly inside (0, 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression


class SmoothedIsotonic:
    """fit(scores, y) / predict(scores) like sklearn's IsotonicRegression, inside (0, 1)."""

    def __init__(self, prior_strength: float = 1.0) -> None:
        if not prior_strength > 0:
            raise ValueError("prior_strength must be positive (pseudo-observations of the base rate)")
        self.prior_strength = float(prior_strength)

    def fit(self, scores: np.ndarray, y: np.ndarray) -> SmoothedIsotonic:
        scores, y = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
        rate = (y.sum() + 0.5) / (y.size + 1.0)
        steps = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y).predict(scores)
        blocks = pd.DataFrame({"step": steps, "y": y}).groupby("step")["y"].agg(["sum", "count"])
        m = self.prior_strength
        shrunk = (blocks["sum"] + m * rate) / (blocks["count"] + m)
        targets = pd.Series(steps).map(shrunk).to_numpy()
        self.isotonic_ = IsotonicRegression(out_of_bounds="clip").fit(scores, targets)
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return self.isotonic_.predict(np.asarray(scores, dtype=float))
