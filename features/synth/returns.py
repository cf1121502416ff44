"""Returns: one line of a returned order comes back a few days later, as its own order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth.baskets import Lines
from features.synth.timeline import SECONDS_PER_DAY, Orders, time_of_day

MIN_RETURN_DAYS = 2
RETURN_DELAY_SHAPE = 2.0
RETURN_DELAY_SCALE = 3.0


@dataclass(frozen=True)
class Returns:
    """Returned lines (`line` indexes `Lines`) and when they came back, in seconds since the
    start of the period; returns that would fall after the period are dropped."""

    line: np.ndarray
    at: np.ndarray


def draw_returns(orders: Orders, lines: Lines, n_days: int, rng: np.random.Generator) -> Returns:
    """Pick one line of each returned order; it comes back 2 + gamma(2, 3) days later."""
    returned = np.flatnonzero(orders.returned)
    first_line = np.searchsorted(lines.order, returned)
    n_lines = np.bincount(lines.order, minlength=orders.size)[returned]
    line = first_line + np.floor(rng.random(returned.size) * n_lines).astype(np.int64)
    delay = MIN_RETURN_DAYS + np.floor(rng.gamma(RETURN_DELAY_SHAPE, RETURN_DELAY_SCALE, returned.size))
    day = orders.day[returned] + delay.astype(np.int64)
    at = day * SECONDS_PER_DAY + time_of_day(orders.channel[returned], rng)
    kept = day < n_days
    return Returns(line=line[kept], at=at[kept])
