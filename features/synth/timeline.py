"""When each customer buys: a weekly discrete-time simulation of orders, returns and churn.

Each week every live customer places Poisson(rate) orders, the rate carrying seasonality, the
customer's trend and the decline before churn. Active customers start that decline with a
weekly hazard (raised by a recent return or a shrinking trend), so churn depends on history the
way the issue asks for: it is not a fixed per-customer coin. One-time buyers stop after their
first order; scheduled churners decline towards a churn day drawn up front.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth.calendar import DAYS_PER_YEAR, WEEK, Calendar
from features.synth.population import NEVER, Population
from features.synth.profiles import CHANNEL_RETURNS, CHANNELS, DECLINE, HAZARD, STORE

SECONDS_PER_DAY = 86_400
FESTIVE_SEASON_DAYS = 61
MAX_RATE_GROWTH = 1.6
MAX_RATE_SHRINK = -2.5
MAX_RETURN_PROBABILITY = 0.9
STORE_HOURS = (9.0, 20.0)
ONLINE_PEAK_HOUR = {"web": (20.5, 3.0), "app": (19.0, 4.0)}


@dataclass(frozen=True)
class Orders:
    """One entry per order, sorted by customer then time.

    `at` is seconds since the start of the period; `declining` marks orders placed during the
    customer's decline; `returned` marks orders with a line that comes back.
    """

    customer: np.ndarray
    day: np.ndarray
    at: np.ndarray
    channel: np.ndarray
    declining: np.ndarray
    returned: np.ndarray

    @property
    def size(self) -> int:
        return self.customer.size


@dataclass(frozen=True)
class Fates:
    """Per customer: first day of the decline and the churn day (`NEVER` if none happened)."""

    decline_day: np.ndarray
    churn_day: np.ndarray


def rate_growth(trend: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Multiplier of the purchase rate after `years` of a yearly log-trend, within sane bounds."""
    return np.exp(np.clip(trend * years, MAX_RATE_SHRINK, MAX_RATE_GROWTH))


def simulate_orders(population: Population, calendar: Calendar, rng: np.random.Generator) -> tuple[Orders, Fates]:
    """Run the weekly simulation over the whole period for one chunk of customers."""
    pop = population
    churn_day = pop.churn_day.copy()
    decline_day = pop.decline_day.copy()
    last_return_week = np.full(pop.size, -NEVER, dtype=np.int64)
    weeks: list[tuple[np.ndarray, ...]] = []

    for week in range(calendar.n_weeks):
        first = week * WEEK
        live = np.flatnonzero((pop.acquisition_day < first + WEEK) & (churn_day >= first))
        acquired_now = pop.acquisition_day[live] >= first
        low = np.where(acquired_now, pop.acquisition_day[live] - first, 0)
        high = np.minimum(np.minimum(churn_day[live], calendar.n_days - 1) - first, WEEK - 1)
        years = np.maximum(first + WEEK / 2 - pop.acquisition_day[live], 0) / DAYS_PER_YEAR
        declining = decline_day[live] <= first + WEEK // 2
        expected = _weekly_orders(pop, live, week, years, calendar)
        expected *= np.where(declining, pop.decline_rate[live], 1.0) * (high - low + 1) / WEEK
        extra = rng.poisson(expected)

        customer = np.concatenate([live[acquired_now], np.repeat(live, extra)])
        day = np.concatenate([
            pop.acquisition_day[live[acquired_now]],
            first + np.repeat(low, extra) + rng.integers(0, np.repeat(high - low + 1, extra)),
        ])
        channel, in_decline, returned = _order_details(pop, customer, day, decline_day, rng)
        weeks.append((customer, day, channel, in_decline, returned))
        last_return_week[customer[returned]] = week

        candidates = live[(decline_day[live] == NEVER) & (churn_day[live] == NEVER)]
        hazard = _weekly_hazard(pop, candidates, week, last_return_week, first)
        starting = candidates[rng.random(candidates.size) < -np.expm1(-hazard)]
        decline_day[starting] = first + WEEK + rng.integers(0, WEEK, starting.size)
        churn_day[starting] = decline_day[starting] + pop.decline_days[starting]

    customer, day, channel, in_decline, returned = (np.concatenate(parts) for parts in zip(*weeks, strict=True))
    at = day * SECONDS_PER_DAY + time_of_day(channel, rng)
    order = np.lexsort((at, customer))
    orders = Orders(customer[order], day[order], at[order], channel[order], in_decline[order], returned[order])
    return orders, Fates(decline_day=decline_day, churn_day=churn_day)


def _weekly_orders(
    pop: Population, live: np.ndarray, week: int, years: np.ndarray, calendar: Calendar
) -> np.ndarray:
    """Expected orders in a full week: seasonal buyers by November-December days, others by
    everyday seasonality and their trend."""
    festive_days = calendar.week_festive_days[week]
    seasonal = (
        pop.rate[live] * festive_days / FESTIVE_SEASON_DAYS
        + pop.off_season_rate[live] * (WEEK - festive_days) / DAYS_PER_YEAR
    )
    everyday = pop.rate[live] * rate_growth(pop.trend[live], years) * calendar.week_season[week] * WEEK / DAYS_PER_YEAR
    return np.where(pop.seasonal[live], seasonal, everyday)


def _order_details(
    pop: Population, customer: np.ndarray, day: np.ndarray, decline_day: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel (preferred, another, or the store during a switching decline), whether the
    order falls in the decline, and whether a line of it will be returned."""
    in_decline = day >= decline_day[customer]
    preferred = pop.channel[customer]
    other = (preferred + rng.integers(1, len(CHANNELS), customer.size)) % len(CHANNELS)
    channel = np.where(rng.random(customer.size) < pop.channel_loyalty[customer], preferred, other)
    channel = np.where(in_decline & pop.store_switch[customer], STORE, channel).astype(np.int8)
    probability = pop.return_propensity[customer] * np.asarray(CHANNEL_RETURNS)[channel]
    probability *= np.where(in_decline, DECLINE.return_factor, 1.0)
    returned = rng.random(customer.size) < np.minimum(probability, MAX_RETURN_PROBABILITY)
    return channel, in_decline, returned


def _weekly_hazard(
    pop: Population, customers: np.ndarray, week: int, last_return_week: np.ndarray, first: int
) -> np.ndarray:
    """Weekly hazard of starting the decline: base x frailty, x `return_factor` for weeks after
    a return, and rising as a negative trend accumulates."""
    years = np.maximum(first + WEEK - pop.acquisition_day[customers], 0) / DAYS_PER_YEAR
    recent_return = week - last_return_week[customers] <= HAZARD.return_weeks
    shrinkage = np.minimum(pop.trend[customers] * years, 0.0)
    return (
        pop.hazard[customers]
        * np.where(recent_return, HAZARD.return_factor, 1.0)
        * np.exp(-HAZARD.shrink_elasticity * shrinkage)
    )


def time_of_day(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight: store orders in opening hours, online ones peaking in the evening."""
    hours = rng.uniform(*STORE_HOURS, channel.size)
    for name, (peak, spread) in ONLINE_PEAK_HOUR.items():
        online = channel == CHANNELS.index(name)
        hours[online] = rng.normal(peak, spread, int(online.sum())) % 24.0
    return np.minimum(np.floor(hours * 3600), SECONDS_PER_DAY - 1).astype(np.int64)
