"""Per-segment profiles: how big each segment is, what it is worth and what sets it apart.

"What sets it apart" reads the segment's centroid in the model's scaled space, where every feature
has mean 0 and standard deviation 1 over the training customers, so a centroid coordinate is the
segment's average distance from all customers in standard deviations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.segmentation.columns import FREQUENCY, MONETARY, RECENCY

PROFILE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "name",
    "size",
    "share_customers",
    "share_revenue",
    "median_recency_days",
    "median_frequency",
    "median_monetary",
    "distinguishing",
)
DISTINGUISHING_TOP = 3
DISTINGUISHING_MIN_SD = 0.25


def segment_profiles(frame: pd.DataFrame, segment_ids: np.ndarray, centroids: pd.DataFrame) -> pd.DataFrame:
    """One row per segment of `centroids` (index = segment id), with PROFILE_COLUMNS except name.

    Revenue is net spend (`spend_total`); medians are of recency_days, orders and spend_total.
    A column missing from `frame` gives NaN in the figures built from it.
    """
    ids = pd.Series(segment_ids, index=frame.index)
    sizes = ids.value_counts().reindex(centroids.index, fill_value=0)
    return pd.DataFrame(
        {
            "segment_id": centroids.index.to_numpy(),
            "size": sizes.to_numpy(),
            "share_customers": (sizes / len(frame)).to_numpy(),
            "share_revenue": _revenue_share(frame, ids, centroids.index),
            "median_recency_days": _segment_median(frame, ids, RECENCY, centroids.index),
            "median_frequency": _segment_median(frame, ids, FREQUENCY, centroids.index),
            "median_monetary": _segment_median(frame, ids, MONETARY, centroids.index),
            "distinguishing": [distinguishing_features(centroids.loc[i]) for i in centroids.index],
        }
    )


def distinguishing_features(centroid: pd.Series) -> str:
    """The features furthest from the average, strongest first, e.g. 'orders +1.8 sd, recency_days -0.9 sd'."""
    strongest = centroid.abs().sort_values(ascending=False, kind="stable")
    kept = [name for name in strongest.index[:DISTINGUISHING_TOP] if strongest[name] >= DISTINGUISHING_MIN_SD]
    if not kept:
        return "close to the average customer on every feature"
    return ", ".join(f"{name} {centroid[name]:+.1f} sd" for name in kept)


def _segment_median(frame: pd.DataFrame, ids: pd.Series, column: str, segments: pd.Index) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(segments), np.nan)
    return frame[column].groupby(ids).median().reindex(segments).to_numpy(dtype="float64")


def _revenue_share(frame: pd.DataFrame, ids: pd.Series, segments: pd.Index) -> np.ndarray:
    if MONETARY not in frame.columns:
        return np.full(len(segments), np.nan)
    revenue = frame[MONETARY].groupby(ids).sum().reindex(segments, fill_value=0.0)
    total = revenue.sum()
    if total == 0:
        return np.full(len(segments), np.nan)
    return (revenue / total).to_numpy(dtype="float64")
