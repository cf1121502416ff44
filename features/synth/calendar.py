"""Day and week indexing of the simulated period, with its yearly seasonality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth.config import FESTIVE_MONTHS, SimulationConfig

WEEK = 7
DAYS_PER_YEAR = 365.25
SEASON_AMPLITUDE = 0.25
SEASON_PEAK_DAY_OF_YEAR = 355


@dataclass(frozen=True)
class Calendar:
    """Day d of the period is `start + d`; week t covers days 7t .. 7t+6 (the last may be short).

    `season` is the everyday demand multiplier per day (peaking before Christmas, lowest in
    June); `festive` marks November-December days; the `week_*` arrays sum or average them
    per week for the weekly simulation.
    """

    first_day: np.datetime64
    n_days: int
    season: np.ndarray
    festive: np.ndarray
    week_season: np.ndarray
    week_festive_days: np.ndarray

    @property
    def n_weeks(self) -> int:
        return len(self.week_season)

    @property
    def festive_days(self) -> np.ndarray:
        return np.flatnonzero(self.festive)


def build_calendar(config: SimulationConfig) -> Calendar:
    """Per-day and per-week seasonality of `config`'s period."""
    first = np.datetime64(config.start, "D")
    days = first + np.arange(config.n_days)
    years = days.astype("datetime64[Y]")
    day_of_year = (days - years).astype(np.int64) + 1
    month = (days.astype("datetime64[M]") - years).astype(np.int64) + 1
    season = 1.0 + SEASON_AMPLITUDE * np.cos(
        2 * np.pi * (day_of_year - SEASON_PEAK_DAY_OF_YEAR) / DAYS_PER_YEAR
    )
    festive = np.isin(month, FESTIVE_MONTHS)
    week = np.arange(config.n_days) // WEEK
    days_in_week = np.bincount(week)
    return Calendar(
        first_day=first,
        n_days=config.n_days,
        season=season,
        festive=festive,
        week_season=np.bincount(week, season) / days_in_week,
        week_festive_days=np.bincount(week, festive).astype(np.int64),
    )
