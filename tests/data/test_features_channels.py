"""Channel-mix shares and the channel column set against the hand fixture (conftest.py)."""

from __future__ import annotations

import pytest

from features.pipeline import build_features
from features.pipeline.channels import channel_columns


def test_channel_columns_are_the_channels_seen_before_the_cutoff_sorted(hand_features):
    # erin's "market" channel appears only after the cutoff.
    channels = [c for c in hand_features.columns if c.startswith("channel_share_")]
    assert channels == ["channel_share_app", "channel_share_store", "channel_share_web"]
    assert list(hand_features.columns[-9:-6]) == channels  # the recent and last-day shares follow


def test_channel_shares_of_purchase_orders(hand_features):
    f = hand_features
    assert list(f.loc["alice", ["channel_share_app", "channel_share_store", "channel_share_web"]]) == [
        0,
        1 / 4,  # A2; the store return A4 is no purchase
        3 / 4,
    ]
    assert list(f.loc["bob", ["channel_share_app", "channel_share_store", "channel_share_web"]]) == [0, 1, 0]
    # carol: C1, C2, C5 by app; C4 has no channel and counts in no share.
    assert f.loc["carol", "channel_share_app"] == pytest.approx(3 / 4)
    assert f.loc["carol", ["channel_share_store", "channel_share_web"]].sum() == 0


def test_passed_channels_fix_the_columns(hand_transactions):
    features = build_features(hand_transactions, "2024-03-31", channels=["Web", "Call Centre"])
    assert [c for c in features.columns if c.startswith("channel_share_")] == [
        "channel_share_call_centre",
        "channel_share_web",
    ]
    assert list(features["channel_share_web"]) == [0, 0, 0]  # channels are matched exactly


def test_channel_names_that_clash_as_columns_are_refused():
    with pytest.raises(ValueError, match="both map to column 'channel_share_mobile_app'"):
        channel_columns(["mobile app", "Mobile-App"])


def test_channel_columns_are_ordered_by_column_name_whatever_the_case():
    assert list(channel_columns(["app", "Web", "Store"]).values()) == [
        "channel_share_app",
        "channel_share_store",
        "channel_share_web",
    ]
