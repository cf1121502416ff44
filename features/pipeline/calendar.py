"""Calendar features of a label (or scoring) window, so one model stacked over cutoffs can learn
seasonality. They depend only on the cutoff and the horizon, never on transactions.

The window is the days as_of + 1 .. as_of + horizon_days, as for labels.

- cal_window_days: horizon_days.
- cal_nov_dec_share: share of the window's days in November or December.
- cal_peak_days: retail peak days inside the window (see retail_peak_days).
- cal_cutoff_month: calendar month of as_of, 1..12.
"""

from __future__ import annotations

import datetime as dt

from features.pipeline.dates import ONE_DAY, as_cutoff_date, positive_days

CALENDAR_COLUMNS: tuple[str, ...] = (
    "cal_window_days",
    "cal_nov_dec_share",
    "cal_peak_days",
    "cal_cutoff_month",
)
FESTIVE_MONTHS: tuple[int, ...] = (11, 12)
THURSDAY = 3


def calendar_features(as_of: dt.date | str, horizon_days: int) -> dict[str, float]:
    """CALENDAR_COLUMNS for the window (as_of, as_of + horizon_days]."""
    cutoff = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    first, last = cutoff + ONE_DAY, cutoff + dt.timedelta(days=horizon)
    window = [first + dt.timedelta(days=offset) for offset in range(horizon)]
    peaks = {
        day for year in range(first.year, last.year + 1) for day in retail_peak_days(year)
    }
    return {
        "cal_window_days": float(horizon),
        "cal_nov_dec_share": sum(day.month in FESTIVE_MONTHS for day in window) / horizon,
        "cal_peak_days": float(sum(first <= day <= last for day in peaks)),
        "cal_cutoff_month": float(cutoff.month),
    }


def retail_peak_days(year: int) -> tuple[dt.date, ...]:
    """Valentine's Day, Black Friday, Cyber Monday, Christmas Eve, Christmas Day, Boxing Day.

    Black Friday is the day after the fourth Thursday of November (US Thanksgiving); Cyber Monday
    the Monday after it.
    """
    november_first = dt.date(year, 11, 1)
    first_thursday = november_first + dt.timedelta(days=(THURSDAY - november_first.weekday()) % 7)
    black_friday = first_thursday + dt.timedelta(weeks=3, days=1)
    return (
        dt.date(year, 2, 14),
        black_friday,
        black_friday + dt.timedelta(days=3),
        dt.date(year, 12, 24),
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
    )
