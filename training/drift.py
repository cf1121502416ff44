"""Feature drift: the population stability index (PSI) of each feature against the champion's
training snapshot.

PSI = sum over bins of (a - e) * ln(a / e), where e and a are the reference and current shares
of customers in each bin. Bins are the reference's deciles (fewer when values repeat) plus one
bin for missing values. Common reading (Siddiqi, "Credit Risk Scorecards", 2006): below 0.1
stable, 0.1-0.25 a moderate shift, above 0.25 a significant shift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 0.25
_FLOOR = 1e-4


@dataclass(frozen=True)
class FeatureReference:
    """Bin edges and shares of each feature in the reference (training) snapshot."""

    edges: dict[str, np.ndarray]
    shares: dict[str, np.ndarray]
    rows: int
    centre: dict[str, float] | None = None
    """Median of each feature: the reference customer that explanations of BTYD models compare with."""

    @classmethod
    def fit(cls, frame: pd.DataFrame, columns: Iterable[str], bins: int = 10) -> FeatureReference:
        """Quantile bins of every numeric column in `columns` present in `frame`."""
        if bins < 2:
            raise ValueError("bins must be at least 2")
        edges, shares, centre = {}, {}, {}
        for column in columns:
            if column not in frame or not pd.api.types.is_numeric_dtype(frame[column]):
                continue
            values = frame[column].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            cut = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if finite.size else np.array([])
            edges[column] = cut
            shares[column] = _shares(values, cut)
            if finite.size:
                centre[column] = float(np.median(finite))
        return cls(edges=edges, shares=shares, rows=len(frame), centre=centre)

    def psi(self, frame: pd.DataFrame) -> pd.Series:
        """PSI per feature of `frame` against this reference, largest first (missing columns skipped)."""
        out = {
            column: psi(self.shares[column], _shares(frame[column].to_numpy(dtype=float), cut))
            for column, cut in self.edges.items()
            if column in frame
        }
        return pd.Series(out, dtype=float, name="psi").sort_values(ascending=False)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two share vectors over the same bins; empty bins are floored at 1e-4 to stay finite."""
    e = np.maximum(np.asarray(expected, dtype=float), _FLOOR)
    a = np.maximum(np.asarray(actual, dtype=float), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def drifted(scores: pd.Series, threshold: float = DEFAULT_THRESHOLD) -> pd.Series:
    """The features whose PSI exceeds `threshold`."""
    return scores[scores > threshold]


def _shares(values: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Shares per bin: len(cut) + 1 value bins (right-closed at each cut) and a last bin for NaN."""
    missing = ~np.isfinite(values)
    counts = np.bincount(np.searchsorted(cut, values[~missing], side="left"), minlength=cut.size + 1)
    counts = np.append(counts, missing.sum()).astype(float)
    return counts / max(values.size, 1)
