"""Draw a chunk of customers: behaviour, acquisition day and every per-customer trait.

Heterogeneity within a behaviour follows the usual BTYD priors (gamma purchase rates, gamma
frailty on the churn hazard), then observable traits shift rate and spend: the preferred
channel (app users buy more often), category preferences (everyday categories mean frequent,
cheaper baskets) and basket size (stock-up shoppers buy bigger baskets, less often).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth.calendar import Calendar
from features.synth.catalogue import REPLENISHMENT, Catalogue
from features.synth.config import SimulationConfig
from features.synth.profiles import (
    BEHAVIOURS, CHANNEL_HAZARD, CHANNEL_RATE, DECLINE, HAZARD, PROFILES, REGION_WEIGHTS, REGIONS,
)
from features.synth.sampling import categorical_rows, cumulative_rows, dirichlet_rows

NEVER = np.iinfo(np.int64).max // 4
"""Day index standing for 'not within any horizon' (no decline, no churn)."""

STOCK_UP_SPREAD = 0.5
STOCK_UP_ELASTICITY = 0.5
CHANNEL_LOYALTY = (5.0, 2.0)
RETURN_SPREAD = 0.5


@dataclass(frozen=True)
class Population:
    """Per-customer traits of one chunk (arrays of equal length; index = customer in chunk).

    Days are indices into the period (see Calendar). `rate` is orders a year at acquisition
    (orders per season for seasonal buyers); `lines` is the expected lines per order and
    `line_value` the expected value of one line. `churn_day` and `decline_day` are known up
    front only for scheduled churners (and the churn day of one-time buyers, their first day);
    the others are `NEVER` here and may be set by the weekly simulation.
    """

    behaviour: np.ndarray
    acquisition_day: np.ndarray
    rate: np.ndarray
    off_season_rate: np.ndarray
    seasonal: np.ndarray
    trend: np.ndarray
    hazard: np.ndarray
    lines: np.ndarray
    line_value: np.ndarray
    channel: np.ndarray
    channel_loyalty: np.ndarray
    region: np.ndarray
    category_cdf: np.ndarray
    favourite: np.ndarray
    return_propensity: np.ndarray
    decline_days: np.ndarray
    decline_rate: np.ndarray
    store_switch: np.ndarray
    narrowing: np.ndarray
    value_drop: np.ndarray
    decline_day: np.ndarray
    churn_day: np.ndarray

    @property
    def size(self) -> int:
        return self.behaviour.size

    @property
    def base_rate(self) -> np.ndarray:
        """Expected orders a year at acquisition (0 for one-time buyers, who never return)."""
        return self.rate + self.off_season_rate

    @property
    def basket_value(self) -> np.ndarray:
        """Expected order value at acquisition, before trend, season and channel effects."""
        return self.lines * self.line_value


def _by_behaviour(attribute: str, behaviour: np.ndarray) -> np.ndarray:
    """A profile attribute for each customer, e.g. ('rate_mean', codes) -> float array."""
    return np.array([getattr(PROFILES[name], attribute) for name in BEHAVIOURS], dtype=float)[behaviour]


def draw_population(
    size: int, config: SimulationConfig, calendar: Calendar, catalogue: Catalogue, rng: np.random.Generator
) -> Population:
    """Draw `size` customers of `config`'s behaviour mix acquired during `calendar`'s period."""
    shares = np.array([config.behaviour_mix[name] for name in BEHAVIOURS])
    behaviour = rng.choice(len(BEHAVIOURS), size=size, p=shares / shares.sum()).astype(np.int8)
    seasonal = _by_behaviour("seasonal", behaviour).astype(bool)
    acquisition = rng.integers(0, calendar.n_days, size)
    acquisition[seasonal] = rng.choice(calendar.festive_days, size=int(seasonal.sum()))

    channel_cdf = cumulative_rows(np.array([PROFILES[name].channel_weights for name in BEHAVIOURS]))
    channel = categorical_rows(channel_cdf, behaviour.astype(np.int64), rng).astype(np.int8)
    alpha = np.array([PROFILES[name].category_alpha for name in BEHAVIOURS])
    preferences = dirichlet_rows(alpha[behaviour], rng)
    stock_up = rng.lognormal(-STOCK_UP_SPREAD**2 / 2, STOCK_UP_SPREAD, size)

    shape = _by_behaviour("rate_shape", behaviour)
    rate = rng.gamma(shape, _by_behaviour("rate_mean", behaviour) / shape)
    rate *= _channel_factor(channel, behaviour, channel_cdf)
    rate *= _replenishment_factor(preferences @ REPLENISHMENT) / _replenishment_factor(
        (alpha / alpha.sum(axis=1, keepdims=True)) @ REPLENISHMENT
    )[behaviour]
    rate *= stock_up**-STOCK_UP_ELASTICITY

    low, high = np.array([PROFILES[name].trend for name in BEHAVIOURS])[behaviour].T
    frailty = rng.gamma(HAZARD.frailty_shape, 1.0 / HAZARD.frailty_shape, size)
    decline_days, decline_day, churn_day = _scheduled_fates(behaviour, acquisition, rng)

    return Population(
        behaviour=behaviour,
        acquisition_day=acquisition,
        rate=rate,
        off_season_rate=_by_behaviour("off_season_rate", behaviour),
        seasonal=seasonal,
        trend=rng.uniform(low, high),
        hazard=_by_behaviour("hazard", behaviour) * frailty * _hazard_factor(channel, preferences),
        lines=1.0 + _by_behaviour("extra_lines", behaviour) * stock_up,
        line_value=preferences @ catalogue.line_value,
        channel=channel,
        channel_loyalty=rng.beta(*CHANNEL_LOYALTY, size),
        region=rng.choice(len(REGIONS), size=size, p=REGION_WEIGHTS).astype(np.int8),
        category_cdf=cumulative_rows(preferences),
        favourite=preferences.argmax(axis=1).astype(np.int8),
        return_propensity=config.return_rate
        * _by_behaviour("returns", behaviour)
        * rng.lognormal(-RETURN_SPREAD**2 / 2, RETURN_SPREAD, size),
        decline_days=decline_days,
        decline_rate=rng.uniform(*DECLINE.rate_factor, size),
        store_switch=rng.random(size) < DECLINE.store_switch_share,
        narrowing=rng.random(size) < DECLINE.narrowing_share,
        value_drop=np.where(
            rng.random(size) < DECLINE.value_drop_share, rng.uniform(*DECLINE.value_drop, size), 1.0
        ),
        decline_day=decline_day,
        churn_day=churn_day,
    )


def _replenishment_factor(replenishment: np.ndarray) -> np.ndarray:
    """Shoppers of everyday categories (grocery, household) come back more often."""
    return 0.5 + 1.2 * replenishment


def _hazard_factor(channel: np.ndarray, preferences: np.ndarray) -> np.ndarray:
    """Observable churn risk: the preferred channel's effect and the breadth of the basket
    (effective number of categories, 1 / sum of squared preferences)."""
    breadth = 1.0 / np.square(preferences).sum(axis=1)
    return np.asarray(CHANNEL_HAZARD)[channel] * (HAZARD.reference_breadth / breadth) ** HAZARD.breadth_elasticity


def _channel_factor(channel: np.ndarray, behaviour: np.ndarray, channel_cdf: np.ndarray) -> np.ndarray:
    """The preferred channel's rate effect relative to its mean within the behaviour, so that
    app users buy more often while a profile's `rate_mean` stays the behaviour's mean rate."""
    effect = np.asarray(CHANNEL_RATE)
    mean_effect = np.diff(channel_cdf, prepend=0.0, axis=1) @ effect
    return effect[channel] / mean_effect[behaviour]


def _scheduled_fates(
    behaviour: np.ndarray, acquisition: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decline length per customer (0 for sudden churn), and the decline and churn days known
    up front: one-time buyers churn on their first day, scheduled churners after a uniform
    lifetime, preceded by their decline."""
    size = behaviour.size
    sudden = rng.random(size) < DECLINE.sudden_share
    length = rng.gamma(DECLINE.days_shape, DECLINE.mean_days / DECLINE.days_shape, size)
    decline_days = np.where(sudden, 0, np.round(length)).astype(np.int64)
    lifetime = np.round(rng.uniform(*DECLINE.scheduled_days, size)).astype(np.int64)

    single = _by_behaviour("single_purchase", behaviour).astype(bool)
    scheduled = _by_behaviour("scheduled_churn", behaviour).astype(bool)
    churn_day = np.where(scheduled, acquisition + lifetime, np.where(single, acquisition, NEVER))
    decline_day = np.where(scheduled, np.maximum(acquisition, churn_day - decline_days), NEVER)
    return decline_days, decline_day, churn_day
