"""Stable segment ids across retrains: new clusters inherit the ids of the previous model's segments.

Clusters are matched one-to-one to the previous segments by the Hungarian algorithm (Kuhn 1955,
via scipy's linear_sum_assignment) on the Euclidean distance between centroids, both measured in
the previous model's scaled space, so segment 3 keeps meaning what it meant. Clusters left over
when the new model has more clusters get ids that were never used before; previous ids left over
are retired and not reused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


def ids_by_size(cluster_sizes: np.ndarray) -> dict[int, int]:
    """Cluster -> id for a first model: ids 0, 1, ... from the largest cluster down (ties by cluster)."""
    order = sorted(range(len(cluster_sizes)), key=lambda c: (-cluster_sizes[c], c))
    return {cluster: segment_id for segment_id, cluster in enumerate(order)}


def match_to_previous(
    new_centroids: np.ndarray,
    previous_centroids: np.ndarray,
    previous_ids: Sequence[int],
    next_id: int,
) -> dict[int, int]:
    """Cluster -> stable id, matching rows of `new_centroids` to rows of `previous_centroids`.

    Both are centroids in the previous model's space; a NaN row (a cluster with no training
    customers) is never matched. Unmatched clusters get `next_id`, `next_id + 1`, ... in order.
    """
    if len(previous_ids) != len(previous_centroids):
        raise ValueError(
            f"{len(previous_ids)} previous ids for {len(previous_centroids)} previous centroids; pass one id per centroid"
        )
    if new_centroids.shape[1] != previous_centroids.shape[1]:
        raise ValueError(
            f"new centroids have {new_centroids.shape[1]} coordinates and previous ones "
            f"{previous_centroids.shape[1]}; measure both in the previous model's space"
        )
    matchable = np.flatnonzero(~np.isnan(new_centroids).any(axis=1))
    cost = cdist(new_centroids[matchable], previous_centroids)
    rows, cols = linear_sum_assignment(cost)
    mapping = {int(matchable[r]): int(previous_ids[c]) for r, c in zip(rows, cols, strict=True)}
    unmatched = [c for c in range(len(new_centroids)) if c not in mapping]
    mapping.update({cluster: next_id + offset for offset, cluster in enumerate(unmatched)})
    return mapping

