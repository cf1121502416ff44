"""SegmentationModel: customer segments with profiles, names and ids that survive retraining.

Fit on the per-customer frame of `features.pipeline.build_features`: select the segmentation
columns, fit the transform, choose k (unless fixed) and cluster, give clusters stable ids (from
the previous champion when one is passed), then profile and name every segment.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from training.segmentation.clustering import (
    CRITERIA,
    METHODS,
    cluster_centres,
    cluster_means,
    fit_clusterer,
    sample_rows,
    select_k,
)
from training.segmentation.naming import name_segments
from training.segmentation.profiles import segment_profiles
from training.segmentation.stability import ids_by_size, match_to_previous
from training.segmentation.transform import FeatureTransform, select_features


class SegmentationModel:
    """Clusters customers by k-means or a Gaussian mixture on transformed features.

    k is `n_segments` when given, else the best of `k_range` (inclusive) by `criterion`: mean
    silhouette on `silhouette_sample_size` customers, or BIC (Gaussian mixture only), each k
    fitted on `selection_sample_size` customers. The transform and the final clusters are fitted
    on a seeded sample of at most `fit_sample_size` customers (the selection sample is part of
    it), which bounds the cost on millions; every customer is then assigned. Deterministic for
    `random_state`.

    After `fit`: `labels_` (segment id of each training row), `profiles_`, `names_` (id -> name),
    `centroids_` (segment means in scaled space, sd from average; index = segment id),
    `selection_scores_` (k -> criterion), `n_segments_`, `feature_names_`, `mapping_` (cluster ->
    stable id), `next_id_` (first id never used in this model's lineage) and `moved_` (the number of
    training customers the previous model, applied to the same rows, puts in another segment; None
    without a previous model).
    """

    def __init__(
        self,
        method: str = "kmeans",
        n_segments: int | None = None,
        k_range: tuple[int, int] = (3, 10),
        criterion: str = "silhouette",
        random_state: int = 0,
        features: Sequence[str] | None = None,
        *,
        log_transform: bool = True,
        clip_quantile: float = 0.99,
        fit_sample_size: int = 200_000,
        selection_sample_size: int = 50_000,
        silhouette_sample_size: int = 5_000,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
        if criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}; got {criterion!r}")
        if criterion == "bic" and method != "gmm":
            raise ValueError("criterion='bic' needs method='gmm' (k-means has no likelihood); use 'silhouette'")
        if n_segments is not None:
            _require_int("n_segments", n_segments, minimum=2)
        if not (isinstance(k_range, Sequence) and len(k_range) == 2):
            raise ValueError(f"k_range must be a pair (smallest k, largest k); got {k_range!r}")
        _require_int("k_range[0]", k_range[0], minimum=2)
        _require_int("k_range[1]", k_range[1], minimum=k_range[0])
        _require_int("random_state", random_state, minimum=0)
        if features is not None:
            _require_feature_list(features)
        if not isinstance(log_transform, bool):
            raise TypeError(f"log_transform must be True or False; got {log_transform!r}")
        if not (isinstance(clip_quantile, numbers.Real) and 0.5 < clip_quantile <= 1):
            raise ValueError(f"clip_quantile must be in (0.5, 1] (1 clips nothing); got {clip_quantile!r}")
        _require_int("fit_sample_size", fit_sample_size, minimum=2)
        _require_int("selection_sample_size", selection_sample_size, minimum=2)
        _require_int("silhouette_sample_size", silhouette_sample_size, minimum=2)
        self.method = method
        self.n_segments = n_segments
        self.k_range = (int(k_range[0]), int(k_range[1]))
        self.criterion = criterion
        self.random_state = int(random_state)
        self.features = None if features is None else tuple(features)
        self.log_transform = log_transform
        self.clip_quantile = float(clip_quantile)
        self.fit_sample_size = int(fit_sample_size)
        self.selection_sample_size = int(selection_sample_size)
        self.silhouette_sample_size = int(silhouette_sample_size)

    def fit(self, features_df: pd.DataFrame, previous: SegmentationModel | None = None) -> Self:
        """Segment the customers (rows) of `features_df`; ids follow `previous`, a fitted model."""
        if not isinstance(features_df, pd.DataFrame):
            raise TypeError(f"features_df must be a pandas DataFrame from build_features; got {type(features_df).__name__}")
        if previous is not None:
            previous._require_fitted()
        k_values = self._k_values()
        if len(features_df) <= max(k_values):
            raise ValueError(
                f"{len(features_df)} customers are too few for {max(k_values)} segments; "
                "lower n_segments or k_range"
            )
        columns = select_features(features_df, self.features)
        rows = sample_rows(len(features_df), self.fit_sample_size, self.random_state)
        transform = FeatureTransform.fit(
            features_df.iloc[rows], columns, log_transform=self.log_transform, clip_quantile=self.clip_quantile
        )
        X = transform.transform(features_df)
        selection_rows = rows[sample_rows(len(rows), self.selection_sample_size, self.random_state)]
        selection = select_k(
            X[selection_rows],
            self.method,
            k_values,
            self.criterion,
            random_state=self.random_state,
            silhouette_sample_size=self.silhouette_sample_size,
        )
        n_clusters = selection.best_k
        clusterer = selection.clusterer
        if len(selection_rows) < len(rows):
            clusterer = fit_clusterer(X[rows], self.method, n_clusters, self.random_state)
        clusters = clusterer.predict(X)
        mapping = _stable_ids(features_df, clusters, n_clusters, previous)

        self.feature_names_ = columns
        self.transform_ = transform
        self.clusterer_ = clusterer
        self.selection_scores_ = selection.scores
        self.n_segments_ = n_clusters
        self.mapping_ = mapping
        self.labels_ = self._segment_ids(clusters)
        self.next_id_ = max(max(mapping.values()) + 1, previous.next_id_ if previous is not None else 0)
        self.centroids_ = _centroids(X, clusters, clusterer, mapping, columns)
        profiles = segment_profiles(features_df, self.labels_, self.centroids_)
        self.names_ = name_segments(self.centroids_, profiles.set_index("segment_id")["median_frequency"])
        profiles.insert(1, "name", profiles["segment_id"].map(self.names_))
        self.profiles_ = profiles
        self.moved_ = None if previous is None else int((previous.predict(features_df) != self.labels_).sum())
        return self

    def predict(self, features_df: pd.DataFrame) -> np.ndarray:
        """The segment id of every row of `features_df`, placed with the training transform."""
        self._require_fitted()
        return self._segment_ids(self.clusterer_.predict(self.transform_.transform(features_df)))

    def _k_values(self) -> range:
        if self.n_segments is not None:
            return range(self.n_segments, self.n_segments + 1)
        return range(self.k_range[0], self.k_range[1] + 1)

    def _segment_ids(self, clusters: np.ndarray) -> np.ndarray:
        lookup = np.array([self.mapping_[c] for c in range(len(self.mapping_))], dtype="int64")
        return lookup[clusters]

    def _require_fitted(self) -> None:
        if not hasattr(self, "clusterer_"):
            raise NotFittedError("this SegmentationModel is not fitted yet; call fit(features_df) first")


def _stable_ids(
    features_df: pd.DataFrame, clusters: np.ndarray, n_clusters: int, previous: SegmentationModel | None
) -> dict[int, int]:
    """Cluster -> segment id: by size for a first model, else matched to `previous`'s segments."""
    if previous is None:
        return ids_by_size(np.bincount(clusters, minlength=n_clusters))
    in_previous_space = previous.transform_.transform(features_df)
    return match_to_previous(
        cluster_means(in_previous_space, clusters, n_clusters),
        previous.centroids_.to_numpy(),
        previous.centroids_.index.tolist(),
        previous.next_id_,
    )


def _centroids(
    X: np.ndarray, clusters: np.ndarray, clusterer, mapping: dict[int, int], columns: tuple[str, ...]
) -> pd.DataFrame:
    """Mean scaled features of each segment's customers (the fitted centre for an empty cluster)."""
    means = cluster_means(X, clusters, len(mapping))
    empty = np.isnan(means).any(axis=1)
    means[empty] = cluster_centres(clusterer)[empty]
    index = pd.Index([mapping[c] for c in range(len(mapping))], name="segment_id")
    return pd.DataFrame(means, index=index, columns=list(columns)).sort_index()


def _require_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")


def _require_feature_list(features: object) -> None:
    if isinstance(features, str) or not isinstance(features, Sequence) or len(features) == 0:
        raise TypeError(f"features must be a non-empty list of column names or None; got {features!r}")
    if not all(isinstance(name, str) for name in features):
        raise TypeError(f"features must be column names (strings); got {list(features)!r}")
    if len(set(features)) != len(features):
        raise ValueError(f"features lists a column twice: {list(features)!r}")
