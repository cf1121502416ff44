"""Run the simulation chunk by chunk: each chunk of customers has its own seeded random stream,
so the data depend only on the config, never on how they are consumed (in memory or streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.synth.baskets import fill_baskets
from features.synth.calendar import build_calendar
from features.synth.catalogue import build_catalogue
from features.synth.config import SimulationConfig
from features.synth.events import prospects_for, simulate_events
from features.synth.population import draw_population
from features.synth.returns import draw_returns
from features.synth.table import Numbering, customer_digits, transactions_frame, truth_frame
from features.synth.timeline import simulate_orders

CHUNK_CUSTOMERS = 100_000
_CATALOGUE_STREAM = 0
_CHUNK_STREAM = 1
_EVENT_STREAM = 2


@dataclass(frozen=True)
class Simulation:
    """Canonical transactions, per-customer ground truth and the config that made them, and the
    canonical events when the config asks for them."""

    transactions: pd.DataFrame
    truth: pd.DataFrame
    config: SimulationConfig
    events: pd.DataFrame | None = None


@dataclass(frozen=True)
class Chunk:
    """The transactions, ground truth and (if asked for) events of one chunk of consecutive customers."""

    transactions: pd.DataFrame
    truth: pd.DataFrame
    events: pd.DataFrame | None = None


def simulate(config: SimulationConfig) -> Simulation:
    """Simulate the whole base in memory (fine up to ~1 M customers; see `simulate_to_parquet`)."""
    chunks = list(simulate_chunks(config))
    return Simulation(
        transactions=pd.concat([c.transactions for c in chunks], ignore_index=True),
        truth=pd.concat([c.truth for c in chunks], ignore_index=True),
        config=config,
        events=pd.concat([c.events for c in chunks], ignore_index=True) if config.events else None,
    )


def simulate_chunks(config: SimulationConfig) -> Iterator[Chunk]:
    """Yield the base `CHUNK_CUSTOMERS` customers at a time, in customer order."""
    calendar = build_calendar(config)
    catalogue = build_catalogue(_rng(config.seed, _CATALOGUE_STREAM))
    digits = customer_digits(config.n_customers)
    first_order = first_return = first_prospect = 0
    for index, first_customer in enumerate(range(0, config.n_customers, CHUNK_CUSTOMERS)):
        rng = _rng(config.seed, _CHUNK_STREAM, index)
        size = min(CHUNK_CUSTOMERS, config.n_customers - first_customer)
        population = draw_population(size, config, calendar, catalogue, rng)
        orders, fates = simulate_orders(population, calendar, rng)
        lines = fill_baskets(orders, population, calendar, catalogue, rng)
        returns = draw_returns(orders, lines, calendar.n_days, rng)
        numbering = Numbering(first_customer, first_order, first_return, digits)
        truth = truth_frame(population, fates, calendar, numbering)
        events = None
        if config.events:
            events = simulate_events(population, fates, orders, calendar, truth["customer_id"].to_numpy(dtype=object),
                                     first_prospect, _rng(config.seed, _EVENT_STREAM, index))
            first_prospect += prospects_for(size)
        yield Chunk(
            transactions=transactions_frame(population, orders, lines, returns, catalogue, calendar, numbering),
            truth=truth,
            events=events,
        )
        first_order += orders.size
        first_return += returns.line.size


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=stream))
