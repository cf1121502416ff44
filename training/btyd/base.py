"""Estimator plumbing shared by the BTYD models: parameters, fitting by maximum likelihood, and the
purchase-model interface that BG/NBD and Pareto/NBD both implement.

Each model module keeps its math in plain functions of (params, data arrays); the classes here
validate inputs once and route them to those functions.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import NotFittedError

from training.btyd._inputs import (
    group_identical_rows,
    validate_horizon,
    validate_params,
    validate_rfm,
    validate_weights,
)

ModelFunction = Callable[..., Any]
RowLikelihood = Callable[[Any], tuple[np.ndarray, np.ndarray | None]]


class BTYDModel(ABC):
    """Maximum-likelihood estimator on log-parameters with an optional L2 penalty.

    The penalty follows lifetimes' `penalizer_coef`: the objective is the mean negative
    log-likelihood per customer plus `penalizer_coef * sum(param ** 2)`. After `fit`:
    `params_` ({name: value}), `log_likelihood_` (total over customers, unpenalized) and
    `n_obs_` (number of customers, i.e. the sum of weights) and `n_iter_` (optimizer iterations).
    """

    params_type: ClassVar[type[NamedTuple]]
    log_likelihood_fn: ClassVar[ModelFunction]
    log_likelihood_and_gradient_fn: ClassVar[ModelFunction | None] = None

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        if not (np.isfinite(penalizer_coef) and penalizer_coef >= 0):
            raise ValueError(f"penalizer_coef must be a finite number >= 0 (0 disables it); got {penalizer_coef}")
        self.penalizer_coef = float(penalizer_coef)

    @classmethod
    def from_params(cls, params: Mapping[str, float], penalizer_coef: float = 0.0) -> Self:
        """A model with known parameters (e.g. reloaded from a tracked run), ready to predict."""
        model = cls(penalizer_coef)
        model.params_ = validate_params(params, cls.params_type._fields, cls.__name__)
        return model

    def _params(self) -> Any:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} has no parameters yet; call fit(...) or from_params(...)")
        return self.params_type(**self.params_)

    @abstractmethod
    def _initial_params(self, rows: tuple[np.ndarray, ...], weights: np.ndarray) -> tuple[float, ...]:
        """Starting values for the optimizer, scaled to the data's time unit."""

    def _start(self, start: Mapping[str, float] | None, rows: tuple[np.ndarray, ...],
               counts: np.ndarray) -> tuple[float, ...]:
        """Where the optimizer starts: `start` if given, else the model's data-driven guess."""
        if start is None:
            return self._initial_params(rows, counts)
        values = validate_params(start, self.params_type._fields, type(self).__name__)
        return tuple(values[name] for name in self.params_type._fields)

    def _maximize_likelihood(self, data: tuple[np.ndarray, ...], weights: np.ndarray,
                             start: Mapping[str, float] | None = None) -> None:
        """Fit `params_` by L-BFGS-B on log-parameters over the distinct rows of `data`, from `start`
        (for example the parameters of an earlier fit on similar data) or the model's own guess."""
        rows, counts = group_identical_rows(data, weights)
        analytic_gradient = self.log_likelihood_and_gradient_fn is not None
        with np.errstate(invalid="ignore"):  # finite differences across an infinite objective
            result = minimize(
                self._objective,
                np.log(self._start(start, rows, counts)),
                args=(self._row_likelihood(rows), counts / counts.sum()),
                method="L-BFGS-B",
                jac=True if analytic_gradient else "2-point",
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8},
            )
        if not result.success:
            warnings.warn(
                f"{type(self).__name__} fit did not converge ({result.message}); the estimates may be off. "
                "Check that the inputs share one time unit, or set a small penalizer_coef.",
                RuntimeWarning,
                stacklevel=3,
            )
        params = self.params_type(*np.exp(result.x))
        self.params_ = {name: float(value) for name, value in params._asdict().items()}
        self.log_likelihood_ = float(counts @ self.log_likelihood_fn(params, *rows))
        self.n_obs_ = float(counts.sum())
        self.n_iter_ = int(result.nit)

    def _row_likelihood(self, rows: tuple[np.ndarray, ...]) -> RowLikelihood:
        """Per-row log-likelihood and its gradient, shape (n_params, n_rows) or None for finite
        differences, as a function of the parameters. Fitting calls it many times on the same rows;
        models may override it to precompute what does not depend on the parameters."""
        if self.log_likelihood_and_gradient_fn is None:
            return lambda params: (self.log_likelihood_fn(params, *rows), None)
        return lambda params: self.log_likelihood_and_gradient_fn(params, *rows)

    def _objective(
        self, log_params: np.ndarray, row_likelihood: RowLikelihood, shares: np.ndarray
    ) -> float | tuple[float, np.ndarray]:
        """Penalized mean negative log-likelihood, with its gradient in log-parameters when analytic."""
        values = np.exp(log_params)
        with np.errstate(all="ignore"):
            loglik, gradient = row_likelihood(self.params_type(*values))
            value = -(shares @ loglik) + self.penalizer_coef * (values @ values)
        if gradient is None:
            return value if np.isfinite(value) else np.inf
        total_gradient = -(gradient @ shares) * values + 2.0 * self.penalizer_coef * values**2
        if not (np.isfinite(value) and np.all(np.isfinite(total_gradient))):
            return np.inf, np.zeros_like(values)
        return value, total_gradient


class PurchaseModel(BTYDModel):
    """A model of repeat purchasing fit on per-customer (frequency, recency, T).

    frequency x is the number of repeat purchases (purchase occasions after the first), recency
    t_x the time from the first to the last purchase, T the time from the first purchase to the
    end of the observation period. recency, T and the horizon t share one time unit of the
    caller's choosing (days, weeks); the rate parameters (alpha, beta) are then in that unit.
    """

    probability_alive_fn: ClassVar[ModelFunction]
    expected_purchases_fn: ClassVar[ModelFunction]
    expected_purchases_new_customer_fn: ClassVar[ModelFunction]

    def fit(self, frequency: object, recency: object, T: object, weights: object | None = None, *,
            start: Mapping[str, float] | None = None) -> Self:
        """Fit by maximum likelihood; `weights` counts the customers each row stands for, `start`
        gives parameters to start the optimizer from (an earlier fit on similar data converges in
        fewer steps)."""
        x, t_x, age = validate_rfm(frequency, recency, T)
        counts = validate_weights(weights, x.shape[0])
        if not np.any((x > 0) & (counts > 0)):
            raise ValueError(
                "no customer has a repeat purchase (all frequency == 0), so the purchase rate cannot be "
                "estimated; use a longer observation period"
            )
        self._maximize_likelihood((x, t_x, age), counts, start)
        return self

    def log_likelihood(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """Log-likelihood of each customer's history under the current parameters."""
        return self.log_likelihood_fn(self._params(), *validate_rfm(frequency, recency, T))

    def probability_alive(self, frequency: object, recency: object, T: object) -> np.ndarray:
        """P(customer is still active at T | history)."""
        return self.probability_alive_fn(self._params(), *validate_rfm(frequency, recency, T))

    def expected_purchases(self, frequency: object, recency: object, T: object, *, t: object) -> np.ndarray:
        """Expected number of purchases in (T, T + t] given each customer's history."""
        x, t_x, age = validate_rfm(frequency, recency, T)
        horizon = validate_horizon(t, x.shape[0])
        return self.expected_purchases_fn(self._params(), x, t_x, age, horizon)

    def expected_purchases_new_customer(self, t: object) -> np.ndarray:
        """Expected number of repeat purchases in (0, t] of a customer who just made a first purchase."""
        horizon = validate_horizon(t)
        return self.expected_purchases_new_customer_fn(self._params(), horizon)

    def probability_of_purchase(self, frequency: object, recency: object, T: object, *, t: object) -> np.ndarray:
        """P(at least one purchase in (T, T + t] | history).

        "History (x, t_x, T) and no purchase in (T, T + t]" is the same event as history
        (x, t_x, T + t), so P(no purchase) = L(x, t_x, T + t) / L(x, t_x, T) exactly, for any model
        whose likelihood is that of the observed history. Accurate to about 1e-13 absolute; clipped
        to [0, 1] so a customer who is almost surely gone gets 0, not -7e-14.
        """
        x, t_x, age = validate_rfm(frequency, recency, T)
        horizon = validate_horizon(t, x.shape[0])
        params = self._params()
        loglik = self.log_likelihood_fn
        return np.clip(-np.expm1(loglik(params, x, t_x, age + horizon) - loglik(params, x, t_x, age)), 0.0, 1.0)

    def predict(self, frequency: object, recency: object, T: object, *, t: object) -> np.ndarray:
        """Scikit-learn style alias of `expected_purchases`."""
        return self.expected_purchases(frequency, recency, T, t=t)
