"""Draw customer histories from the BG/NBD and Pareto/NBD generative processes.

For checking that fits recover known parameters and for sizing fitting jobs on synthetic data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from training.btyd._inputs import as_vector, validate_params
from training.btyd.bgnbd import BetaGeoParams
from training.btyd.pareto_nbd import ParetoNBDParams


def simulate_bgnbd(
    params: Mapping[str, float], T: object, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(frequency, recency) of customers observed for ages T under the BG/NBD assumptions (FHL 2005).

    A customer's repeat purchases are the first K of N Poisson events in (0, T], where K ~ Geometric(p)
    is the purchase after which they drop out; given N events, the K-th falls at T * Beta(K, N - K + 1).
    """
    r, alpha, a, b = BetaGeoParams(**validate_params(params, BetaGeoParams._fields, "simulate_bgnbd"))
    age = _ages(T)
    rate = rng.gamma(r, 1.0 / alpha, age.shape[0])
    last_purchase = rng.geometric(rng.beta(a, b, age.shape[0]))
    events = rng.poisson(rate * age)
    x = np.minimum(events, last_purchase)
    return x.astype(float), _time_of_event(x, events, age, rng)


def simulate_pareto_nbd(
    params: Mapping[str, float], T: object, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(frequency, recency) of customers observed for ages T under the Pareto/NBD assumptions (SMC 1987).

    A customer buys as a Poisson process until an exponential lifetime ends; purchases fall in
    (0, min(lifetime, T)] and the last of x uniform times there is at min(lifetime, T) * Beta(x, 1).
    """
    r, alpha, s, beta = ParetoNBDParams(**validate_params(params, ParetoNBDParams._fields, "simulate_pareto_nbd"))
    age = _ages(T)
    rate = rng.gamma(r, 1.0 / alpha, age.shape[0])
    lifetime = rng.exponential(1.0 / rng.gamma(s, 1.0 / beta, age.shape[0]))
    active = np.minimum(lifetime, age)
    x = rng.poisson(rate * active)
    return x.astype(float), _time_of_event(x, x, active, rng)


def _ages(T: object) -> np.ndarray:
    age = as_vector("T", T)
    if np.any(age < 0):
        raise ValueError("T must be >= 0 (time from first purchase to the end of observation)")
    return age


def _time_of_event(k: np.ndarray, n: np.ndarray, window: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Time of the k-th of n uniform events in (0, window]; 0 where k == 0."""
    has_event = k > 0
    order_statistic = rng.beta(np.where(has_event, k, 1), np.where(has_event, n - k + 1, 1))
    return np.where(has_event, window * order_statistic, 0.0)
