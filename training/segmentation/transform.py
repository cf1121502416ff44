"""Which feature columns segments are built from, and the fitted transform they are clustered in.

The transform makes Euclidean distance meaningful on purchase features: signed log1p on
heavy-tailed money and count columns, median imputation of missing values, clipping of both tails
at training quantiles, then standard scaling. The channel shares are one group: each is weighted
by 1/sqrt(number of channels), so together they weigh as much as one feature and one-time buyers
are not split into one segment per channel. It is fitted once on the training customers and
stored with the model, so new customers are placed with the training scaling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.segmentation.columns import (
    CHANNEL_SHARE_PREFIX,
    FESTIVE_SHARE,
    FREQUENCY,
    MONETARY,
    ORDER_VALUE,
    RECENCY,
    TENURE,
)

DEFAULT_FEATURES: tuple[str, ...] = (
    RECENCY,
    TENURE,
    FREQUENCY,
    MONETARY,
    ORDER_VALUE,
    "return_rate",
    FESTIVE_SHARE,
    "month_concentration",
    "lines_per_order_mean",
    "quantity_per_order_mean",
    "distinct_categories",
)
"""Used when no feature list is given, each only if present and varying; every
`channel_share_*` column present follows. Optional columns (quantities, categories, channels)
are simply skipped when a source lacks them."""

LOG_FEATURES: frozenset[str] = frozenset(
    {
        RECENCY,
        TENURE,
        FREQUENCY,
        "repeat_orders",
        MONETARY,
        ORDER_VALUE,
        "order_value_max",
        "returns",
        "lines_per_order_mean",
        "quantity_per_order_mean",
        "distinct_products",
        "distinct_categories",
        "active_months",
        "gap_mean_days",
        "gap_median_days",
        *(f"orders_{days}d" for days in (30, 90, 180, 365)),
        *(f"spend_{days}d" for days in (30, 90, 180, 365)),
    }
)
"""Heavy-tailed money and count columns that get sign(x) * log1p(|x|) (net spend can be negative)."""


def select_features(frame: pd.DataFrame, requested: Sequence[str] | None = None) -> tuple[str, ...]:
    """The columns to segment on: `requested` checked against `frame`, or the available defaults."""
    if requested is None:
        channel_shares = sorted(c for c in frame.columns if str(c).startswith(CHANNEL_SHARE_PREFIX))
        candidates = (*DEFAULT_FEATURES, *channel_shares)
        chosen = tuple(c for c in candidates if c in frame.columns and _varies(frame[c]))
        if not chosen:
            raise ValueError(
                "the feature frame has none of the default segmentation columns with varying values "
                f"({', '.join(DEFAULT_FEATURES)}); pass the output of "
                "features.pipeline.build_features or name the columns with features=[...]"
            )
        return chosen
    missing = [c for c in requested if c not in frame.columns]
    if missing:
        raise ValueError(
            f"segmentation feature '{missing[0]}' is not a column of the feature frame; "
            "choose columns that build_features produced"
        )
    not_numeric = [c for c in requested if not pd.api.types.is_numeric_dtype(frame[c])]
    if not_numeric:
        raise TypeError(f"segmentation feature '{not_numeric[0]}' must be numeric, got {frame[not_numeric[0]].dtype}")
    return tuple(requested)


@dataclass(frozen=True)
class FeatureTransform:
    """A fitted transform: per column whether it is logged, its fill value, clip bounds and scaling."""

    columns: tuple[str, ...]
    logged: np.ndarray
    fill: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    weight: np.ndarray | None = None

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        columns: Sequence[str],
        *,
        log_transform: bool = True,
        clip_quantile: float = 0.99,
    ) -> FeatureTransform:
        """Fit on the training customers in `frame`; tails are clipped at quantiles 1 - q and q."""
        columns = tuple(columns)
        logged = np.array([log_transform and c in LOG_FEATURES for c in columns], dtype=bool)
        values = _signed_log(_raw_values(frame, columns), logged)
        empty = np.isnan(values).all(axis=0)
        if empty.any():
            raise ValueError(
                f"segmentation feature '{columns[int(np.argmax(empty))]}' has no values; "
                "leave it out of features=[...]"
            )
        fill = np.nanmedian(values, axis=0)
        values = np.where(np.isnan(values), fill, values)
        lower, upper = np.quantile(values, [1.0 - clip_quantile, clip_quantile], axis=0)
        clipped = np.clip(values, lower, upper)
        constant = upper <= lower
        mean = np.where(constant, lower, clipped.mean(axis=0))
        scale = np.where(constant, 1.0, clipped.std(axis=0))
        return cls(columns, logged, fill, lower, upper, mean, scale, _group_weights(columns))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """`frame`'s columns in the fitted space: an (n_customers, n_columns) float64 array."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ValueError(
                f"the feature frame lacks column '{missing[0]}', which the segmentation model was "
                "trained on; build features with the same pipeline version"
            )
        values = _signed_log(_raw_values(frame, self.columns), self.logged)
        values = np.where(np.isnan(values), self.fill, values)
        scaled = (np.clip(values, self.lower, self.upper) - self.mean) / self.scale
        return scaled if self.weight is None else scaled * self.weight


def _group_weights(columns: tuple[str, ...]) -> np.ndarray:
    """1 for every column, 1/sqrt(k) for each of the k channel-share columns."""
    channel = np.array([c.startswith(CHANNEL_SHARE_PREFIX) for c in columns], dtype=bool)
    return np.where(channel, 1.0 / np.sqrt(max(int(channel.sum()), 1)), 1.0)


def _raw_values(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The columns as float64, with infinities read as missing."""
    values = frame[list(columns)].to_numpy(dtype="float64", na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def _signed_log(values: np.ndarray, logged: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[:, logged] = np.sign(values[:, logged]) * np.log1p(np.abs(values[:, logged]))
    return out


def _varies(column: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    values = values[np.isfinite(values)]
    return values.size > 0 and values.min() < values.max()
