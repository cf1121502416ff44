"""Pareto/NBD model of repeat purchasing.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will they
do next?", Management Science 33(1), 1-24; expressions as derived in Fader & Hardie (2005), "A
note on deriving the Pareto/NBD model and related expressions" (FH below). While active a customer
buys as a Poisson process with rate lambda ~ Gamma(shape r, rate alpha) and stays active for an
exponential lifetime with rate mu ~ Gamma(shape s, rate beta).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit, exprel, gammaln

from training.btyd._inputs import distinct_rows
from training.btyd._special import at_counts, log_diff_exp, log_hyp2f1
from training.btyd.base import PurchaseModel, RowLikelihood


class ParetoNBDParams(NamedTuple):
    """r, alpha: gamma purchase-rate heterogeneity; s, beta: gamma dropout-rate heterogeneity."""

    r: float
    alpha: float
    s: float
    beta: float


def _log_tail_integral(params: ParetoNBDParams, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log of (r+s+x) * integral from y to infinity of (alpha+u)^-(r+x) (beta+u)^-(s+1) du.

    This is FH's 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+y)) / (alpha+y)^(r+s+x) when
    alpha >= beta, and 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+y)) / (beta+y)^(r+s+x) when
    alpha < beta, so that the argument lies in [0, 1). Euler's transformation turns both into a
    2F1 with first parameter 1, whose powers are taken out in logs: no overflow for large x.
    """
    r, alpha, s, beta = params
    c = r + s + x + 1.0
    if alpha >= beta:
        return (
            log_hyp2f1(1.0, r + x, c, (alpha - beta) / (alpha + y))
            - (r + x) * np.log(alpha + y)
            - s * np.log(beta + y)
        )
    return (
        log_hyp2f1(1.0, s + 1.0, c, (beta - alpha) / (beta + y))
        - (r + x - 1.0) * np.log(alpha + y)
        - (s + 1.0) * np.log(beta + y)
    )


def _likelihood_parts(
    params: ParetoNBDParams, x: np.ndarray, T: np.ndarray, tail_at_recency: np.ndarray, tail_at_age: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log of the terms of FH's likelihood (Section 3): common factor, 'active at T', 'died in (t_x, T]'.

    Takes the `_log_tail_integral` values at t_x and at T, which fitting computes once per distinct
    (x, time) pair.
    """
    r, alpha, s, beta = params
    common = at_counts(lambda k: gammaln(r + k), x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    active = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = at_counts(lambda k: np.log(s) - np.log(r + s + k), x) + log_diff_exp(tail_at_recency, tail_at_age)
    return common, active, died


def _history_parts(
    params: ParetoNBDParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_likelihood_parts` straight from the histories.

    The 2F1 tail integral is evaluated once per distinct (frequency, time) pair: a million customers
    with day-resolution histories share a few tens of thousands, and 2F1 dominates the cost.
    """
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    pair_x, pair_time, at_recency, at_age = _tail_pairs(x, t_x, T)
    tails = _log_tail_integral(params, pair_x, pair_time)
    return _likelihood_parts(params, x, T, tails[at_recency], tails[at_age])


def _tail_pairs(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct (frequency, time) pairs of the tail integrals at t_x and at T, and per customer
    the index of its pair at t_x and at T."""
    (pair_x, pair_time), pair_of = distinct_rows((np.concatenate([x, x]), np.concatenate([t_x, T])))
    return pair_x, pair_time, pair_of[: x.size], pair_of[x.size :]


def log_likelihood(params: ParetoNBDParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of (x, t_x, T) (FH Section 3)."""
    common, active, died = _history_parts(params, x, t_x, T)
    return common + np.logaddexp(active, died)


def probability_alive(params: ParetoNBDParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(active at T | x, t_x, T) (FH Section 5)."""
    _, active, died = _history_parts(params, x, t_x, T)
    return expit(active - died)


def _expected_purchases_if_active(params: ParetoNBDParams, x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t] | active at T, x purchases so far].

    (r+x)/(alpha+T) * (beta+T)/(s-1) * [1 - ((beta+T)/(beta+T+t))^(s-1)] (FH Section 6), written
    with exprel so that s = 1 (where it tends to (beta+T) * log(1 + t/(beta+T))) needs no special case.
    """
    r, alpha, s, beta = params
    log_growth = np.log1p(t / (beta + T))
    return (r + x) / (alpha + T) * (beta + T) * log_growth * exprel(-(s - 1.0) * log_growth)


def expected_purchases(
    params: ParetoNBDParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FH Section 6): P(alive) times the expectation if active."""
    return probability_alive(params, x, t_x, T) * _expected_purchases_if_active(params, x, T, t)


def expected_purchases_new_customer(params: ParetoNBDParams, t: np.ndarray) -> np.ndarray:
    """E[X(t)], repeat purchases in (0, t] of a customer just acquired (FH Section 4)."""
    zero = np.zeros_like(t)
    return _expected_purchases_if_active(params, zero, zero, t)


class ParetoNBDModel(PurchaseModel):
    """Pareto/NBD estimator (Schmittlein, Morrison & Colombo 1987); parameters r, alpha, s, beta.

    The likelihood's 2F1 terms have no cheap parameter derivatives, so the fit uses finite
    differences; it evaluates the 2F1 terms once per distinct (frequency, time) pair, far fewer
    than customers or even distinct (frequency, recency, T) rows.
    """

    params_type = ParetoNBDParams
    log_likelihood_fn = staticmethod(log_likelihood)
    probability_alive_fn = staticmethod(probability_alive)
    expected_purchases_fn = staticmethod(expected_purchases)
    expected_purchases_new_customer_fn = staticmethod(expected_purchases_new_customer)

    def _row_likelihood(self, rows: tuple[np.ndarray, ...]) -> RowLikelihood:
        x, t_x, T = rows
        pair_x, pair_time, at_recency, at_age = _tail_pairs(x, t_x, T)

        def row_likelihood(params: ParetoNBDParams) -> tuple[np.ndarray, None]:
            tails = _log_tail_integral(params, pair_x, pair_time)
            common, active, died = _likelihood_parts(params, x, T, tails[at_recency], tails[at_age])
            return common + np.logaddexp(active, died), None

        return row_likelihood

    def _initial_params(self, rows: tuple[np.ndarray, ...], weights: np.ndarray) -> tuple[float, ...]:
        x, _, T = rows
        exposure = max(weights @ T, np.finfo(float).tiny)
        return 1.0, exposure / (weights @ x), 1.0, exposure / weights.sum()
