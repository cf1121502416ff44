"""Rolling-origin training frames and the scoring frame, on the hand fixture (conftest.py).

Final cutoff 2024-04-30, horizon 30, two cutoffs: 2024-03-01 (labels 03-02..03-31) and
2024-03-31 (labels 04-01..04-30); the last label window ends on the final cutoff.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.pipeline import (
    CALENDAR_COLUMNS,
    FEATURE_COLUMNS,
    LABEL_COLUMNS,
    build_features,
    build_scoring_frame,
    build_training_frame,
    training_cutoffs,
)

FINAL = dt.date(2024, 4, 30)
CHANNELS = ["channel_share_app", "channel_share_market", "channel_share_store", "channel_share_web"]
RECENT_CHANNELS = ["channel_90d_app", "channel_90d_market", "channel_90d_store", "channel_90d_web"]
LAST_CHANNELS = ["channel_last_app", "channel_last_market", "channel_last_store", "channel_last_web"]


@pytest.fixture(scope="module")
def frame(hand_transactions):
    return build_training_frame(hand_transactions, FINAL, 30, n_cutoffs=2)


def test_cutoffs_step_back_from_the_final_cutoff_by_the_horizon():
    assert training_cutoffs(FINAL, 30, n_cutoffs=2) == [dt.date(2024, 3, 1), dt.date(2024, 3, 31)]
    assert training_cutoffs(FINAL, 30, n_cutoffs=3, step_days=7) == [
        dt.date(2024, 3, 17),
        dt.date(2024, 3, 24),
        dt.date(2024, 3, 31),
    ]


def test_seasonal_cutoffs_are_the_predicted_window_52_weeks_earlier():
    # The window after FINAL (2024-05-01..05-30) as it fell a year and two years before, weekdays kept.
    assert training_cutoffs(FINAL, 30, n_cutoffs=2, seasonal_years=2) == [
        dt.date(2022, 5, 3),
        dt.date(2023, 5, 2),
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 31),
    ]
    assert dt.date(2023, 5, 2).weekday() == FINAL.weekday()
    # A cutoff already among the recent ones is not repeated; a window longer than 52 weeks has no
    # earlier-year copy that ends by FINAL.
    assert training_cutoffs(FINAL, 182, n_cutoffs=7, step_days=30, seasonal_years=1).count(dt.date(2023, 5, 2)) == 1
    assert training_cutoffs(FINAL, 365, n_cutoffs=1, seasonal_years=1) == [dt.date(2023, 5, 1)]
    with pytest.raises(ValueError, match="seasonal_years must be a whole number of years >= 0"):
        training_cutoffs(FINAL, 30, seasonal_years=-1)


@pytest.mark.parametrize(("horizon", "n_cutoffs", "step", "years"),
                         [(30, 4, None, 0), (90, 3, 30, 0), (7, 5, 1, 0), (91, 6, 30, 2), (300, 2, 30, 1)])
def test_no_label_window_reaches_past_the_final_cutoff(horizon, n_cutoffs, step, years):
    cutoffs = training_cutoffs(FINAL, horizon, n_cutoffs=n_cutoffs, step_days=step, seasonal_years=years)
    assert len(cutoffs) == n_cutoffs + years
    assert max(cutoffs) + dt.timedelta(days=horizon) == FINAL
    assert all(c + dt.timedelta(days=horizon) <= FINAL for c in cutoffs)


def test_column_layout(frame):
    assert list(frame.columns) == [
        "customer_id",
        "as_of",
        *FEATURE_COLUMNS,
        *CHANNELS,  # fixed from the data before the final cutoff: erin's "market" included
        *RECENT_CHANNELS,
        *LAST_CHANNELS,
        *CALENDAR_COLUMNS,
        *LABEL_COLUMNS,
    ]


def test_rows_are_stacked_by_cutoff(frame):
    keys = list(zip(frame["as_of"].dt.date, frame["customer_id"], strict=True))
    march_1, march_31 = dt.date(2024, 3, 1), dt.date(2024, 3, 31)
    assert keys == [
        (march_1, "alice"),
        (march_1, "bob"),
        (march_1, "carol"),  # C4 at 12:00 on the cutoff day
        (march_31, "alice"),
        (march_31, "bob"),
        (march_31, "carol"),
    ]


def test_each_block_holds_its_cutoffs_features_labels_and_calendar(frame, hand_transactions):
    march_31 = frame[frame["as_of"] == pd.Timestamp("2024-03-31")].reset_index(drop=True)
    expected = build_features(
        hand_transactions, "2024-03-31", channels=["app", "market", "store", "web"]
    )
    pd.testing.assert_frame_equal(march_31[expected.columns], expected)
    assert march_31[list(LABEL_COLUMNS)].values.tolist() == [
        [0, 2, 110, 1, 1],
        [1, 0, 0, 30, 0],
        [1, 0, -10, 30, 0],
    ]
    assert march_31[list(CALENDAR_COLUMNS)].drop_duplicates().values.tolist() == [[30, 0, 0, 3]]


def test_earlier_block_labels(frame):
    march_1 = frame[frame["as_of"] == pd.Timestamp("2024-03-01")].set_index("customer_id")
    assert list(march_1.loc["alice", list(LABEL_COLUMNS)]) == [0, 1, 50, 24, 1]  # A5 on 03-25
    assert list(march_1.loc["bob", list(LABEL_COLUMNS)]) == [1, 0, 0, 30, 0]
    assert list(march_1.loc["carol", list(LABEL_COLUMNS)]) == [0, 1, 15, 30, 1]  # C5, 03-31
    assert march_1.loc["alice", "orders"] == 3  # A1 A2 A3 only


def test_scoring_frame_has_the_training_columns_without_labels(frame, hand_transactions):
    scoring = build_scoring_frame(hand_transactions, FINAL, 30)
    assert list(scoring.columns) == [c for c in frame.columns if c not in LABEL_COLUMNS] + ["status"]
    # Every known customer is listed; dave only returned, so he has a status but no features.
    assert list(scoring["customer_id"]) == ["alice", "bob", "carol", "dave", "erin"]
    assert list(scoring["status"]) == ["scored", "scored", "scored", "returns_only", "scored"]
    assert scoring.loc[scoring["customer_id"] == "dave", "orders"].isna().all()
    assert (scoring["as_of"] == pd.Timestamp(FINAL)).all()
    assert scoring.loc[0, "cal_cutoff_month"] == 4


def test_explicit_cutoffs_are_stacked_and_must_end_by_the_final_cutoff(hand_transactions, frame):
    given = build_training_frame(hand_transactions, FINAL, 30, cutoffs=[dt.date(2024, 3, 31), dt.date(2024, 3, 1)])
    pd.testing.assert_frame_equal(given, frame)
    with pytest.raises(ValueError, match="cutoff 2024-04-01: its 30-day label window ends after as_of 2024-04-30"):
        build_training_frame(hand_transactions, FINAL, 30, cutoffs=[dt.date(2024, 4, 1)])
    with pytest.raises(ValueError, match="cutoffs is empty"):
        build_training_frame(hand_transactions, FINAL, 30, cutoffs=[])
    with pytest.raises(ValueError, match="horizon_days must be a whole number of days >= 1"):
        build_training_frame(hand_transactions, FINAL, 0, cutoffs=[dt.date(2024, 3, 1)])


def test_step_and_count_are_validated(hand_transactions):
    with pytest.raises(ValueError, match="n_cutoffs must be a whole number of days >= 1"):
        build_training_frame(hand_transactions, FINAL, 30, n_cutoffs=0)
    with pytest.raises(ValueError, match="step_days must be a whole number of days >= 1"):
        build_training_frame(hand_transactions, FINAL, 30, step_days=-7)
