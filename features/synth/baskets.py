"""What each order contains: its lines, their categories, products, quantities and amounts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth.calendar import DAYS_PER_YEAR, Calendar
from features.synth.catalogue import Catalogue, price_lines
from features.synth.population import Population
from features.synth.profiles import CHANNEL_VALUE
from features.synth.sampling import categorical_rows
from features.synth.timeline import Orders

VALUE_TREND_SHARE = 0.7
VALUE_TREND_BOUNDS = (-1.5, 1.2)
SIZE_NOISE_SHAPE = 4.0


@dataclass(frozen=True)
class Lines:
    """Order lines, grouped by order in order sequence (`order` indexes `Orders`)."""

    order: np.ndarray
    category: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    amount: np.ndarray


def basket_scale(orders: Orders, pop: Population, calendar: Calendar, rng: np.random.Generator) -> np.ndarray:
    """How much bigger than the customer's usual basket each order is: trend x season x channel
    x decline drop x gamma noise.

    The spending trend drives the basket as well as the rate (at `VALUE_TREND_SHARE` of its
    log-growth); festive buyers' baskets are big all year, everyone else's swell before Christmas.
    """
    customer = orders.customer
    years = np.maximum(orders.day - pop.acquisition_day[customer], 0) / DAYS_PER_YEAR
    growth = np.exp(np.clip(VALUE_TREND_SHARE * pop.trend[customer] * years, *VALUE_TREND_BOUNDS))
    season = np.where(pop.seasonal[customer], 1.0, np.sqrt(calendar.season[orders.day]))
    drop = np.where(orders.declining, pop.value_drop[customer], 1.0)
    channel = np.asarray(CHANNEL_VALUE)[orders.channel]
    noise = rng.gamma(SIZE_NOISE_SHAPE, 1.0 / SIZE_NOISE_SHAPE, orders.size)
    return growth * season * drop * channel * noise


def fill_baskets(
    orders: Orders, pop: Population, calendar: Calendar, catalogue: Catalogue, rng: np.random.Generator
) -> Lines:
    """Give each order 1 + Poisson lines, about the customer's usual count x the basket scale;
    categories follow the customer's preferences, or only the favourite one while a narrowing
    customer declines; each line is then priced from the catalogue."""
    customer = orders.customer
    expected_lines = pop.lines[customer] * basket_scale(orders, pop, calendar, rng)
    n_lines = 1 + rng.poisson(np.maximum(expected_lines - 1.0, 0.0))
    order = np.repeat(np.arange(orders.size), n_lines)
    line_customer = customer[order]
    drawn = categorical_rows(pop.category_cdf, line_customer, rng)
    narrowed = (orders.declining & pop.narrowing[customer])[order]
    category = np.where(narrowed, pop.favourite[line_customer], drawn).astype(np.int64)
    product, quantity, amount = price_lines(catalogue, category, rng)
    return Lines(order=order, category=category, product=product, quantity=quantity, amount=amount)
