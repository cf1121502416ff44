"""Calendar features of label windows, checked against the calendar by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from features.pipeline import CALENDAR_COLUMNS, calendar_features, retail_peak_days


def test_black_friday_is_the_day_after_the_fourth_thursday_of_november():
    assert retail_peak_days(2023)[1] == dt.date(2023, 11, 24)
    assert retail_peak_days(2024)[1:3] == (dt.date(2024, 11, 29), dt.date(2024, 12, 2))
    assert retail_peak_days(2025)[1] == dt.date(2025, 11, 28)


def test_a_window_inside_the_festive_season():
    # 2024-11-16 .. 2024-12-15: Black Friday (Nov 29) and Cyber Monday (Dec 2).
    assert calendar_features("2024-11-15", 30) == {
        "cal_window_days": 30.0,
        "cal_nov_dec_share": 1.0,
        "cal_peak_days": 2.0,
        "cal_cutoff_month": 11.0,
    }


def test_a_window_across_the_new_year():
    # 2024-12-21 .. 2025-01-03: 11 December days of 14, Dec 24, 25 and 26.
    features = calendar_features(dt.date(2024, 12, 20), 14)
    assert features["cal_nov_dec_share"] == pytest.approx(11 / 14)
    assert features["cal_peak_days"] == 3
    assert list(features) == list(CALENDAR_COLUMNS)


def test_a_quiet_window_and_its_edges():
    # 2025-02-01 .. 2025-02-14: Valentine's Day is the last day of the window.
    assert calendar_features("2025-01-31", 14)["cal_peak_days"] == 1
    # 2025-02-14 itself is the cutoff day, outside the window that starts the day after.
    assert calendar_features("2025-02-14", 14)["cal_peak_days"] == 0
    assert calendar_features("2025-02-14", 14)["cal_nov_dec_share"] == 0


def test_cutoff_must_be_a_date():
    with pytest.raises(ValueError, match="as_of must be a whole date"):
        calendar_features("2024-11-15 13:00", 30)
