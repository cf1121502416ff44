"""Inter-purchase gaps and the BTYD summary against the hand fixture (conftest.py), and the BTYD
summary against the published CDNOW calibration summary and lifetimes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.datasets import cdnow_sample_path, packaged_file
from features.pipeline import build_btyd_summary

# alice buys on days d-132, d-107, d-50, d-6: gaps 25, 57, 44.
# carol buys on d-86 (C1 and C2), d-30, d-0: gaps 56, 30 (same-day orders make one day).


def test_gap_statistics_of_a_regular_buyer(hand_features):
    alice = hand_features.loc["alice"]
    assert alice["gap_mean_days"] == pytest.approx(126 / 3)  # (132 - 6) / 3 = 42
    # deviations from 42: -17, 15, 2 -> (289 + 225 + 4) / (3 - 1) = 259
    assert alice["gap_std_days"] == pytest.approx(math.sqrt(259))
    assert alice["gap_median_days"] == 44
    assert alice["gap_last_days"] == 44
    assert alice["gap_first_days"] == 25
    assert alice["overdue_ratio"] == pytest.approx(6 / 42)


def test_same_day_orders_collapse_into_one_purchase_day(hand_features):
    carol = hand_features.loc["carol"]
    assert carol["gap_mean_days"] == 43  # 86 / 2
    assert carol["gap_std_days"] == pytest.approx(math.sqrt((13**2 + 13**2) / 1))
    assert carol["gap_median_days"] == 43  # mean of the two gaps 56 and 30
    assert (carol["gap_last_days"], carol["gap_first_days"]) == (30, 56)
    assert carol["overdue_ratio"] == 0  # bought on the cutoff day


def test_a_single_purchase_has_no_gaps(hand_features):
    bob = hand_features.loc["bob"]
    gap_columns = [
        "gap_mean_days",
        "gap_std_days",
        "gap_median_days",
        "gap_last_days",
        "gap_first_days",
        "overdue_ratio",
    ]
    assert bob[gap_columns].isna().all()


def test_btyd_summary_counts_repeat_purchase_days(hand_features):
    f = hand_features[["btyd_frequency", "btyd_recency", "btyd_T", "btyd_monetary"]]
    assert list(f.loc["alice"]) == pytest.approx([3, 132 - 6, 132, (100 + 30 + 50) / 3])
    assert list(f.loc["bob"]) == [0, 0, 102, 0]
    # carol's purchase days are worth 50 (C1 + C2), 10 (C4) and 15 (C5).
    assert list(f.loc["carol"]) == pytest.approx([2, 86, 86, (10 + 15) / 2])


def test_btyd_summary_alone_equals_the_full_build(hand_transactions, hand_features):
    summary = build_btyd_summary(hand_transactions, "2024-03-31").set_index("customer_id")
    pd.testing.assert_frame_equal(summary, hand_features[summary.columns])
    counts_only = build_btyd_summary(hand_transactions, "2024-03-31", monetary=False)
    assert list(counts_only.columns) == ["customer_id", "btyd_frequency", "btyd_recency", "btyd_T"]


def test_btyd_summary_reproduces_the_published_cdnow_summary(cdnow_sample):
    """Fader, Hardie & Lee's calibration summary of the CDNOW sample (as shipped with lifetimes:
    repeat purchases, recency and T in weeks, to 2 decimals, calibration ending 1997-09-30)."""
    published = pd.read_csv(
        packaged_file("lifetimes", "lifetimes/datasets/cdnow_customers_summary.csv"),
        dtype={"ID": str},
    ).set_index("ID")
    ours = build_btyd_summary(cdnow_sample, "1997-09-30", monetary=False).set_index("customer_id")
    # Eight customers whose only purchase cost $0.00 are no purchasers here (zero-value rule).
    zero_only = published.index.difference(ours.index)
    assert len(zero_only) == 8 and (published.loc[zero_only, "frequency"] == 0).all()
    published = published.loc[ours.index]
    np.testing.assert_array_equal(ours["btyd_frequency"], published["frequency"])
    np.testing.assert_array_equal((ours["btyd_recency"] / 7).round(2), published["recency"])
    np.testing.assert_array_equal((ours["btyd_T"] / 7).round(2), published["T"])


@pytest.mark.slow
def test_btyd_summary_matches_lifetimes_with_monetary_value(cdnow_sample):
    from lifetimes.utils import summary_data_from_transaction_data

    purchases = cdnow_sample[cdnow_sample["amount"] > 0]
    expected = summary_data_from_transaction_data(
        purchases.assign(timestamp=purchases["timestamp"].dt.tz_localize(None)),
        "customer_id",
        "timestamp",
        monetary_value_col="amount",
        observation_period_end="1997-09-30",
        freq="D",
    )
    ours = build_btyd_summary(cdnow_sample, "1997-09-30").set_index("customer_id")
    assert sorted(ours.index) == sorted(expected.index)
    expected = expected.loc[ours.index]
    np.testing.assert_array_equal(ours["btyd_frequency"], expected["frequency"])
    np.testing.assert_array_equal(ours["btyd_recency"], expected["recency"])
    np.testing.assert_array_equal(ours["btyd_T"], expected["T"])
    np.testing.assert_allclose(ours["btyd_monetary"], expected["monetary_value"], rtol=1e-12)


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample (one row per customer-day record) in canonical form."""
    raw = pd.read_csv(
        cdnow_sample_path(), sep=r"\s+", header=None, names=["master_id", "id", "date", "cds", "value"]
    )
    return pd.DataFrame(
        {
            "customer_id": raw["id"].astype(str),
            "order_id": raw.index.astype(str),
            "timestamp": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d", utc=True),
            "amount": raw["value"].astype(float),
        }
    )
