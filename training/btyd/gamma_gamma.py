"""Gamma-Gamma model of spend per transaction.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
Journal of Marketing Research 42(4), 415-430, after Colombo & Jiang (1999), "A stochastic RFM
model"; formulas as in Fader & Hardie (2013), "The gamma-gamma model of monetary value" (FH).
Each transaction's value is Gamma(p, nu) with a customer-level nu ~ Gamma(q, gamma), so a
customer's mean spend over x transactions is Gamma(p x, nu x). Spend is assumed independent of
the purchase process, which is what lets it pair with BG/NBD or Pareto/NBD for lifetime value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Self

import numpy as np
from scipy.special import digamma, gammaln, xlogy

from training.btyd._inputs import validate_spend, validate_weights
from training.btyd._special import at_counts
from training.btyd.base import BTYDModel


class GammaGammaParams(NamedTuple):
    """p: shape of transaction values; q, gamma: shape and rate of their heterogeneity across customers."""

    p: float
    q: float
    gamma: float


def _log_likelihood(params: GammaGammaParams, x: np.ndarray, log_m: np.ndarray, log_pooled: np.ndarray) -> np.ndarray:
    """`log_likelihood` from log(m) and log(gamma + x m), which the gradient reuses."""
    p, q, gamma = params
    return (
        at_counts(lambda k: gammaln(p * k + q) - gammaln(p * k) + xlogy(p * k, k), x)
        - gammaln(q) + q * np.log(gamma) + (p * x - 1.0) * log_m - (p * x + q) * log_pooled
    )


def log_likelihood(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of mean spend m over x >= 1 repeat transactions (FH: the marginal density of m)."""
    return _log_likelihood(params, x, np.log(m), np.log(params.gamma + x * m))


def log_likelihood_and_gradient(
    params: GammaGammaParams, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in (p, q, gamma), shapes (n,) and (3, n)."""
    p, q, gamma = params
    log_m = np.log(m)
    log_pooled = np.log(gamma + x * m)
    shared = at_counts(lambda k: digamma(p * k + q), x) - log_pooled
    d_p = x * (shared - at_counts(lambda k: digamma(p * k), x) + log_m + np.log(x))
    d_q = shared - digamma(q) + np.log(gamma)
    d_gamma = q / gamma - (p * x + q) / (gamma + x * m)
    return _log_likelihood(params, x, log_m, log_pooled), np.stack([d_p, d_q, d_gamma])


def expected_spend(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[mean spend per transaction | x, m] = p (gamma + x m) / (p x + q - 1) (FH eq. 5).

    A weighted average of the population mean p gamma / (q - 1) and the customer's own mean m; for
    x = 0 it is the population mean. Infinite where p x + q <= 1 (the posterior mean does not exist).
    """
    p, q, gamma = params
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, p * (gamma + x * m) / denominator, np.inf)


class GammaGammaModel(BTYDModel):
    """Gamma-Gamma spend estimator; parameters p, q, gamma.

    Fit on repeat customers only: frequency x >= 1 repeat transactions and monetary_value the mean
    value of those repeat transactions (the first purchase excluded, as in FHL 2005).
    """

    params_type = GammaGammaParams
    log_likelihood_fn = staticmethod(log_likelihood)
    log_likelihood_and_gradient_fn = staticmethod(log_likelihood_and_gradient)

    def fit(self, frequency: object, monetary_value: object, weights: object | None = None, *,
            start: Mapping[str, float] | None = None) -> Self:
        """Fit by maximum likelihood; `weights` counts the customers each row stands for, `start`
        gives parameters to start the optimizer from."""
        x, m = _repeat_customers(frequency, monetary_value)
        self._maximize_likelihood((x, m), validate_weights(weights, x.shape[0]), start)
        return self

    def log_likelihood(self, frequency: object, monetary_value: object) -> np.ndarray:
        """Log-likelihood of each repeat customer's mean spend under the current parameters."""
        return self.log_likelihood_fn(self._params(), *_repeat_customers(frequency, monetary_value))

    def expected_spend(self, frequency: object, monetary_value: object) -> np.ndarray:
        """Expected mean spend per future transaction given each customer's history (see module function)."""
        return expected_spend(self._params(), *validate_spend(frequency, monetary_value))

    def predict(self, frequency: object, monetary_value: object) -> np.ndarray:
        """Scikit-learn style alias of `expected_spend`."""
        return self.expected_spend(frequency, monetary_value)

    def _initial_params(self, rows: tuple[np.ndarray, ...], weights: np.ndarray) -> tuple[float, ...]:
        _, m = rows
        return 1.0, 2.0, (weights @ m) / weights.sum()


def _repeat_customers(frequency: object, monetary_value: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated (x, m) where every customer has a repeat purchase: the likelihood needs x >= 1."""
    x, m = validate_spend(frequency, monetary_value)
    if np.any(x == 0):
        raise ValueError(
            f"frequency has {np.count_nonzero(x == 0)} customers without repeat purchases; the spend "
            "model's likelihood covers repeat customers only, so drop rows with frequency 0"
        )
    return x, m
