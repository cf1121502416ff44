"""Clustering of transformed customer features and the choice of the number of segments.

Two methods: k-means (Lloyd's algorithm with k-means++ seeding, Arthur & Vassilvitskii 2007) and a
full-covariance Gaussian mixture fitted by EM. k is chosen by the mean silhouette (Rousseeuw 1987),
computed on a fixed random sample of customers so it stays affordable on millions, or by the BIC
of the Gaussian mixture (Schwarz 1978; lower is better).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture

METHODS: tuple[str, ...] = ("kmeans", "gmm")
CRITERIA: tuple[str, ...] = ("silhouette", "bic")

KMEANS_RESTARTS = 4
GMM_REG_COVAR = 1e-3
"""Added to covariance diagonals, in units of the scaled features' variance: keeps components
on discrete values (e.g. every one-time buyer has orders = 1) from collapsing to a point."""


@dataclass(frozen=True)
class KSelection:
    """The chosen k, the criterion value of every k tried, and the clusterer fitted with the chosen k."""

    best_k: int
    scores: dict[int, float]
    clusterer: KMeans | GaussianMixture


def fit_clusterer(X: np.ndarray, method: str, k: int, random_state: int) -> KMeans | GaussianMixture:
    """A `method` clusterer with `k` clusters fitted on the rows of `X`."""
    if method == "kmeans":
        model = KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=random_state)
    elif method == "gmm":
        model = GaussianMixture(
            n_components=k,
            covariance_type="full",
            reg_covar=GMM_REG_COVAR,
            max_iter=200,
            random_state=random_state,
        )
    else:
        raise ValueError(f"unknown clustering method '{method}'; choose one of: {', '.join(METHODS)}")
    return model.fit(X)


def criterion_score(
    X: np.ndarray,
    clusterer: KMeans | GaussianMixture,
    criterion: str,
    *,
    random_state: int,
    silhouette_sample_size: int,
) -> float:
    """`criterion` of `clusterer` on `X`: mean silhouette on a sample (higher is better) or BIC (lower)."""
    if criterion == "bic":
        if not isinstance(clusterer, GaussianMixture):
            raise ValueError("criterion 'bic' needs a Gaussian mixture; use 'silhouette' for k-means")
        return float(clusterer.bic(X))
    return sample_silhouette(X, clusterer.predict(X), random_state, silhouette_sample_size)


def sample_silhouette(X: np.ndarray, labels: np.ndarray, random_state: int, sample_size: int) -> float:
    """Mean silhouette of `labels` over a seeded sample of at most `sample_size` rows.

    A labelling with a single cluster in the sample has no silhouette; it scores -1, the worst value.
    """
    rows = sample_rows(len(X), sample_size, random_state)
    if np.unique(labels[rows]).size < 2:
        return -1.0
    return float(silhouette_score(X[rows], labels[rows]))


def select_k(
    X: np.ndarray,
    method: str,
    k_values: Iterable[int],
    criterion: str,
    *,
    random_state: int,
    silhouette_sample_size: int,
) -> KSelection:
    """Fit every k in `k_values` and keep the best by `criterion` (the smallest k on ties)."""
    scores: dict[int, float] = {}
    fitted: dict[int, KMeans | GaussianMixture] = {}
    for k in k_values:
        fitted[k] = fit_clusterer(X, method, k, random_state)
        scores[k] = criterion_score(
            X,
            fitted[k],
            criterion,
            random_state=random_state,
            silhouette_sample_size=silhouette_sample_size,
        )
    sign = -1.0 if criterion == "bic" else 1.0
    best_k = max(scores, key=lambda k: (sign * scores[k], -k))
    return KSelection(best_k, scores, fitted[best_k])


def sample_rows(n_rows: int, sample_size: int, random_state: int) -> np.ndarray:
    """Sorted indices of a seeded random sample of `sample_size` of `n_rows` rows (all when fewer)."""
    if n_rows <= sample_size:
        return np.arange(n_rows)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_rows, size=sample_size, replace=False))


def cluster_means(X: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean row of `X` per cluster 0..n_clusters-1, NaN for a cluster with no rows."""
    counts = np.bincount(clusters, minlength=n_clusters).astype("float64")
    sums = np.column_stack(
        [np.bincount(clusters, weights=X[:, j], minlength=n_clusters) for j in range(X.shape[1])]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def cluster_centres(clusterer: KMeans | GaussianMixture) -> np.ndarray:
    """The fitted centre of every cluster: k-means centroids or mixture component means."""
    if isinstance(clusterer, GaussianMixture):
        return clusterer.means_
    return clusterer.cluster_centers_
