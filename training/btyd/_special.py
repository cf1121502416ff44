"""Numerically careful building blocks shared by the BTYD likelihoods."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import hyp2f1


def log_hyp2f1(a: float | np.ndarray, b: float | np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 2F1(a, b; c; z) for a hypergeometric value known to be positive.

    Callers arrange (by Euler's transformation) that the series is well conditioned, so a
    non-positive or non-finite value is a numerical failure and comes back as NaN.
    """
    value = hyp2f1(a, b, c, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((value > 0) & np.isfinite(value), np.log(value), np.nan)


def log_diff_exp(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """log(exp(u) - exp(v)) for u >= v, without overflow; -inf where u == v."""
    with np.errstate(divide="ignore"):
        return u + np.log(-np.expm1(np.minimum(v - u, 0.0)))


def at_counts(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """fn(x) for whole-number counts x >= 0, evaluating fn once per count value up to max(x).

    Special functions of the purchase count (gammaln, digamma) dominate the cost of a likelihood
    over many customers, while counts take few distinct values.
    """
    counts = x.astype(np.intp)
    top = int(counts.max(initial=0))
    if top >= counts.size:
        return fn(x)
    return fn(np.arange(top + 1.0))[counts]
