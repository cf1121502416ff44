"""Vectorised draws the simulator needs that numpy's Generator lacks."""

from __future__ import annotations

import numpy as np


def dirichlet_rows(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Dirichlet draw per row of `alpha` (n, k), via normalised gamma variates."""
    draws = rng.standard_gamma(alpha)
    total = draws.sum(axis=1, keepdims=True)
    return np.divide(draws, total, out=np.full_like(draws, 1.0 / alpha.shape[1]), where=total > 0)


def cumulative_rows(probs: np.ndarray) -> np.ndarray:
    """Row-wise cumulative probabilities ending exactly at 1, for `categorical_rows`."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    return cdf


def categorical_rows(cdf: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each entry of `rows`, a category drawn from that row of `cdf` (n, k).

    Offsetting row r's cumulative probabilities by r makes the whole table one sorted array,
    so a single `searchsorted` serves every row.
    """
    n_rows, k = cdf.shape
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    position = np.searchsorted(flat, rows + rng.random(rows.size), side="right")
    return np.minimum(position - rows * k, k - 1)
