"""BG/NBD model of repeat purchasing.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2), 275-284 (FHL below). While active a customer buys as
a Poisson process with rate lambda ~ Gamma(shape r, rate alpha); after each purchase they drop out
for good with probability p ~ Beta(a, b).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from training.btyd._special import at_counts, log_hyp2f1
from training.btyd.base import PurchaseModel

_NEAR_ONE = 1e-6


class BetaGeoParams(NamedTuple):
    """r, alpha: gamma purchase-rate heterogeneity; a, b: beta dropout-probability heterogeneity."""

    r: float
    alpha: float
    a: float
    b: float


class _LikelihoodParts(NamedTuple):
    """FHL eq. 6 as L = L_active * (1 + odds_dropped), in logs, plus the logs the gradient reuses."""

    log_if_active: np.ndarray
    log_odds_dropped: np.ndarray
    log_alpha_T: np.ndarray
    log_alpha_t_x: np.ndarray


def _likelihood_parts(params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> _LikelihoodParts:
    """L_active: the history and still active at T; odds_dropped: dropped out right after the purchase
    at t_x instead (zero when x = 0)."""
    r, alpha, a, b = params
    log_alpha_T = np.log(alpha + T)
    log_alpha_t_x = np.log(alpha + t_x)
    log_if_active = (
        at_counts(lambda k: gammaln(r + k) + gammaln(b + k) - gammaln(a + b + k), x)
        + (r * np.log(alpha) - gammaln(r) - gammaln(b) + gammaln(a + b))
        - (r + x) * log_alpha_T
    )
    drop_after_last = at_counts(
        lambda k: np.where(k > 0, np.log(a) - np.log(b + np.maximum(k, 1.0) - 1.0), -np.inf), x
    )
    log_odds_dropped = drop_after_last + (r + x) * (log_alpha_T - log_alpha_t_x)
    return _LikelihoodParts(log_if_active, log_odds_dropped, log_alpha_T, log_alpha_t_x)


def log_likelihood(params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of (x, t_x, T), FHL eq. 6."""
    parts = _likelihood_parts(params, x, t_x, T)
    return parts.log_if_active + np.logaddexp(0.0, parts.log_odds_dropped)


def log_likelihood_and_gradient(
    params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in (r, alpha, a, b), shapes (n,) and (4, n)."""
    r, alpha, a, b = params
    parts = _likelihood_parts(params, x, t_x, T)
    p_dropped = expit(parts.log_odds_dropped)
    beta_shift = digamma(a + b) - at_counts(lambda k: digamma(a + b + k), x)
    d_r = (
        at_counts(lambda k: digamma(r + k), x) - digamma(r) + np.log(alpha)
        - parts.log_alpha_T - p_dropped * (parts.log_alpha_t_x - parts.log_alpha_T)
    )
    d_alpha = r / alpha - (r + x) * (1.0 / (alpha + T) + p_dropped * (1.0 / (alpha + t_x) - 1.0 / (alpha + T)))
    d_a = beta_shift + p_dropped / a
    d_b = (
        beta_shift + at_counts(lambda k: digamma(b + k), x) - digamma(b)
        - p_dropped * at_counts(lambda k: 1.0 / (b + np.maximum(k, 1.0) - 1.0), x)
    )
    return parts.log_if_active + np.logaddexp(0.0, parts.log_odds_dropped), np.stack([d_r, d_alpha, d_a, d_b])


def probability_alive(params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(active at T | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model")."""
    return expit(-_likelihood_parts(params, x, t_x, T).log_odds_dropped)


def _expected_purchases_if_active(params: BetaGeoParams, x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t] | active at T, x purchases so far], the bracket of FHL eq. 10.

    The expression has a removable singularity at a = 1: within 1e-6 of it the value is
    interpolated linearly between a = 1 - 1e-6 and a = 1 + 1e-6.
    """
    a = params.a
    if abs(a - 1.0) >= _NEAR_ONE:
        return _expected_purchases_if_active_off_one(params, x, T, t)
    below = _expected_purchases_if_active_off_one(params._replace(a=1.0 - _NEAR_ONE), x, T, t)
    above = _expected_purchases_if_active_off_one(params._replace(a=1.0 + _NEAR_ONE), x, T, t)
    share = (a - 1.0 + _NEAR_ONE) / (2 * _NEAR_ONE)
    return (1.0 - share) * below + share * above


def _expected_purchases_if_active_off_one(
    params: BetaGeoParams, x: np.ndarray, T: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """`_expected_purchases_if_active` for a != 1, by FHL eq. 10 after Euler's transformation
    2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z), z = t / (alpha+T+t),
    which keeps the series well conditioned for large x."""
    r, alpha, a, b = params
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    log_survivor = (a - 1.0) * np.log1p(-z) + log_hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    bracket = -np.expm1(log_survivor)
    signed = np.isnan(log_survivor)
    if signed.any():
        # With a + b + x < 1 (young bases fit a, b < 1) the hypergeometric value can be zero or
        # negative, so it has no logarithm; the transformed expression is still exact.
        survivor = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        bracket = np.where(signed, 1.0 - survivor, bracket)
    return c / (a - 1.0) * bracket


def expected_purchases(
    params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T], FHL eq. 10: P(alive) times the expectation if active."""
    return probability_alive(params, x, t_x, T) * _expected_purchases_if_active(params, x, T, t)


def expected_purchases_new_customer(params: BetaGeoParams, t: np.ndarray) -> np.ndarray:
    """E[X(t)], repeat purchases in (0, t] of a customer just acquired, FHL eq. 9."""
    zero = np.zeros_like(t)
    return _expected_purchases_if_active(params, zero, zero, t)


class BetaGeoModel(PurchaseModel):
    """BG/NBD estimator (Fader, Hardie & Lee 2005); parameters r, alpha, a, b.

    P(at least one purchase in (T, T + t]) from the likelihood ratio of the base class equals
    P(alive) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)): an active customer's next purchase
    comes before any dropout, and lambda | active ~ Gamma(r + x, alpha + T).
    """

    params_type = BetaGeoParams
    log_likelihood_fn = staticmethod(log_likelihood)
    log_likelihood_and_gradient_fn = staticmethod(log_likelihood_and_gradient)
    probability_alive_fn = staticmethod(probability_alive)
    expected_purchases_fn = staticmethod(expected_purchases)
    expected_purchases_new_customer_fn = staticmethod(expected_purchases_new_customer)

    def _initial_params(self, rows: tuple[np.ndarray, ...], weights: np.ndarray) -> tuple[float, ...]:
        x, _, T = rows
        rate = (weights @ x) / max(weights @ T, np.finfo(float).tiny)
        return 1.0, 1.0 / rate, 1.0, 1.0
