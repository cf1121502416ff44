"""The statistics of a controlled campaign, as plain functions of counts and arrays.

Intervals are two-sided at `level` (95 % by default):
- a proportion: Wilson's score interval (Wilson 1927);
- a difference of two independent proportions: Newcombe's hybrid score interval, his method 10
  (Newcombe 1998, "Interval estimation for the difference between independent proportions",
  Statistics in Medicine 17:873-890), built from the two Wilson intervals;
- a difference of two means (orders, revenue per customer): Welch's t interval with the
  Welch-Satterthwaite degrees of freedom;
- a relative lift (treated / control - 1): the delta-method interval of the log ratio of means,
  exponentiated, so it stays above -100 %.
The detectable effect is the normal-approximation minimum detectable difference of a two-sided
test at `alpha` with the given power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
POWER = 0.8


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval."""

    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> Interval:
    """Wilson score interval of the proportion successes / n."""
    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    z = _z(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(successes_1: int, n_1: int, successes_0: int, n_0: int, level: float = LEVEL) -> Interval:
    """Newcombe's method-10 interval of p1 - p0 (treated minus control)."""
    one, zero = wilson_interval(successes_1, n_1, level), wilson_interval(successes_0, n_0, level)
    p1, p0 = one.estimate, zero.estimate
    below = math.sqrt((p1 - one.low) ** 2 + (zero.high - p0) ** 2)
    above = math.sqrt((one.high - p1) ** 2 + (p0 - zero.low) ** 2)
    return Interval(p1 - p0, p1 - p0 - below, p1 - p0 + above)


def welch_difference(treated: np.ndarray, control: np.ndarray, level: float = LEVEL) -> Interval:
    """Welch's t interval of mean(treated) - mean(control)."""
    x1, x0 = np.asarray(treated, float), np.asarray(control, float)
    if x1.size < 2 or x0.size < 2:
        raise ValueError("Welch's interval needs at least two customers in each group")
    v1, v0 = x1.var(ddof=1) / x1.size, x0.var(ddof=1) / x0.size
    diff = float(x1.mean() - x0.mean())
    se = math.sqrt(v1 + v0)
    if se == 0:
        return Interval(diff, diff, diff)
    df = (v1 + v0) ** 2 / (v1 ** 2 / (x1.size - 1) + v0 ** 2 / (x0.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return Interval(diff, diff - half, diff + half)


def relative_lift(mean_1: float, var_1: float, n_1: int, mean_0: float, var_0: float, n_0: int,
                  level: float = LEVEL) -> Interval | None:
    """mean_1 / mean_0 - 1 with the delta-method interval of log(mean_1 / mean_0); None when a
    mean is zero (no ratio to speak of). `var_*` are the per-customer variances."""
    if mean_0 <= 0 or mean_1 <= 0:
        return None
    log_ratio = math.log(mean_1 / mean_0)
    se = math.sqrt(var_1 / (n_1 * mean_1 ** 2) + var_0 / (n_0 * mean_0 ** 2))
    z = _z(level)
    return Interval(math.exp(log_ratio) - 1, math.exp(log_ratio - z * se) - 1, math.exp(log_ratio + z * se) - 1)


def detectable_difference(sd: float, n_1: int, n_0: int, alpha: float = 1 - LEVEL, power: float = POWER) -> float:
    """The smallest true difference of means a two-sided test at `alpha` finds with `power`,
    for a per-customer standard deviation `sd` in both groups."""
    if n_1 <= 0 or n_0 <= 0:
        return math.inf
    return (_z(1 - alpha) + float(stats.norm.ppf(power))) * sd * math.sqrt(1 / n_1 + 1 / n_0)


def detectable_lift(base_rate: float, n_1: int, n_0: int, alpha: float = 1 - LEVEL, power: float = POWER) -> float:
    """The smallest conversion lift (in proportion points) detectable at `base_rate`."""
    rate = min(max(base_rate, 0.0), 1.0)
    return detectable_difference(math.sqrt(rate * (1 - rate)), n_1, n_0, alpha, power)
