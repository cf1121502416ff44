"""Checks on the per-customer arrays the BTYD models take, and grouping of identical rows.

Every public model method passes its inputs through here, so the rules and their error messages
live in one place. Arrays may be NumPy arrays, pandas Series or scalars (one customer).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def as_vector(name: str, values: object) -> np.ndarray:
    """`values` as a 1-D float64 array of finite numbers, one per customer."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy(dtype="float64", na_value=np.nan)
    try:
        array = np.atleast_1d(np.asarray(values, dtype="float64"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numbers (a NumPy array or pandas Series): {exc}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, one value per customer; got shape {array.shape}")
    _require(np.isfinite(array), name, "must not be missing or infinite; drop or fill those customers")
    return array


def validate_rfm(frequency: object, recency: object, T: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (x, t_x, T): repeat-purchase counts, time from first to last purchase, and age."""
    x = as_vector("frequency", frequency)
    t_x = as_vector("recency", recency)
    age = as_vector("T", T)
    _require_same_length(frequency=x, recency=t_x, T=age)
    _require_counts(x, "frequency")
    _require(t_x >= 0, "recency", "must be >= 0 (time from first to last purchase)")
    _require(
        t_x <= age,
        "recency",
        "must be <= T; measure both from the customer's first purchase in the same time unit",
    )
    _require(
        (x > 0) | (t_x == 0),
        "recency",
        "must be 0 for customers with frequency 0 (they have no repeat purchase)",
    )
    return x, t_x, age


def validate_spend(frequency: object, monetary_value: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated (x, m): repeat-purchase counts and mean spend per repeat purchase."""
    x = as_vector("frequency", frequency)
    m = as_vector("monetary_value", monetary_value)
    _require_same_length(frequency=x, monetary_value=m)
    _require_counts(x, "frequency")
    _require(
        (x == 0) | (m > 0),
        "monetary_value",
        "must be > 0 for customers with repeat purchases; drop customers whose repeat purchases "
        "net to zero or less (returns) before using the spend model",
    )
    return x, m


def validate_weights(weights: object | None, n: int) -> np.ndarray:
    """Customer counts per row (all ones when None), non-negative with a positive total."""
    if weights is None:
        return np.ones(n)
    w = as_vector("weights", weights)
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} values but there are {n} rows; pass one weight per row")
    _require(w >= 0, "weights", "must be >= 0 (the number of customers each row stands for)")
    if not w.sum() > 0:
        raise ValueError("weights sum to zero; at least one row must stand for a customer")
    return w


def validate_horizon(t: object, n: int | None = None) -> np.ndarray:
    """Validated horizons (>= 0, in the model's time unit): one, or one per customer when n is given."""
    horizon = as_vector("t", t)
    if n is not None and horizon.shape[0] not in (1, n):
        raise ValueError(f"t has {horizon.shape[0]} values for {n} customers; pass one horizon or one per customer")
    _require(horizon >= 0, "t", "must be >= 0 (length of the future period, same unit as T)")
    return horizon


def validate_params(params: object, names: tuple[str, ...], model: str) -> dict[str, float]:
    """Model parameters as a {name: float} dict with exactly `names`, all finite and > 0."""
    if not isinstance(params, Mapping) or set(params) != set(names):
        given = sorted(params) if isinstance(params, Mapping) else type(params).__name__
        raise ValueError(f"{model} needs parameters {', '.join(names)}; got {given}")
    values = {name: float(params[name]) for name in names}
    bad = [name for name, value in values.items() if not (np.isfinite(value) and value > 0)]
    if bad:
        raise ValueError(f"{model} parameters must be finite and > 0; check {', '.join(bad)}")
    return values


def distinct_rows(columns: tuple[np.ndarray, ...]) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The distinct rows of equal-length `columns` and, per input row, the index of its distinct row.

    Hash-based (pandas.factorize, one column at a time), so linear in the number of rows.
    """
    row_codes = np.zeros(columns[0].shape[0], dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column)
        row_codes, _ = pd.factorize(row_codes * len(uniques) + codes)
    representative = np.empty(int(row_codes.max(initial=-1)) + 1, dtype=np.intp)
    representative[row_codes] = np.arange(row_codes.shape[0])  # rows sharing a code are identical
    return tuple(column[representative] for column in columns), row_codes


def group_identical_rows(
    columns: tuple[np.ndarray, ...], weights: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Collapse rows with identical values in every column, summing their weights.

    The likelihood of a row depends only on its values, so fitting on distinct rows weighted by
    how many customers share them gives the same estimates at a fraction of the cost.
    """
    distinct, inverse = distinct_rows(columns)
    counts = np.bincount(inverse, weights=weights, minlength=distinct[0].size)
    keep = counts > 0
    return tuple(column[keep] for column in distinct), counts[keep]


def _require(ok: np.ndarray, name: str, rule: str) -> None:
    if not np.all(ok):
        bad = np.flatnonzero(~ok)
        raise ValueError(f"{name} {rule} ({bad.size} rows violate this, first at position {bad[0]})")


def _require_same_length(**arrays: np.ndarray) -> None:
    lengths = {name: array.shape[0] for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have one value per customer, but lengths differ: {listed}")


def _require_counts(x: np.ndarray, name: str) -> None:
    _require(x >= 0, name, "must be >= 0 (number of repeat purchases)")
    _require(x == np.floor(x), name, "must be whole numbers (count repeat purchase occasions, not amounts)")
