"""The pieces of segmentation on values worked out by hand: feature selection and transform,
profiles, names, and matching new clusters to a previous model's segments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.segmentation.naming import name_segments, segment_name
from training.segmentation.profiles import distinguishing_features, segment_profiles
from training.segmentation.stability import ids_by_size, match_to_previous
from training.segmentation.transform import DEFAULT_FEATURES, FeatureTransform, select_features

E = math.e


def test_default_selection_skips_absent_constant_and_empty_columns() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "orders": [1.0, 2.0, 5.0],
            "recency_days": [3.0, 30.0, 300.0],
            "return_rate": [0.0, 0.0, 0.0],
            "quantity_per_order_mean": [np.nan, np.nan, np.nan],
            "channel_share_web": [1.0, 0.5, 0.0],
            "channel_share_app": [0.0, 0.5, 1.0],
            "gap_mean_days": [np.nan, 10.0, 40.0],
        }
    )
    assert select_features(frame) == ("recency_days", "orders", "channel_share_app", "channel_share_web")
    assert select_features(frame, ["gap_mean_days", "orders"]) == ("gap_mean_days", "orders")
    with pytest.raises(ValueError, match="'spend_total' is not a column"):
        select_features(frame, ["orders", "spend_total"])
    with pytest.raises(TypeError, match="'customer_id' must be numeric"):
        select_features(frame, ["customer_id"])
    with pytest.raises(ValueError, match="none of the default segmentation columns"):
        select_features(frame[["customer_id", "return_rate"]])
    assert DEFAULT_FEATURES[:3] == ("recency_days", "tenure_days", "orders")


def test_transform_logs_money_signed_and_standardises() -> None:
    frame = pd.DataFrame({"spend_total": [-(E - 1), 0.0, E - 1, E**3 - 1]})
    transform = FeatureTransform.fit(frame, ["spend_total"], clip_quantile=1.0)
    # signed log1p gives -1, 0, 1, 3: mean 0.75, population sd sqrt(8.75 / 4)
    expected = (np.array([-1.0, 0.0, 1.0, 3.0]) - 0.75) / math.sqrt(8.75 / 4)
    assert transform.transform(frame)[:, 0] == pytest.approx(expected)
    unlogged = FeatureTransform.fit(frame, ["spend_total"], log_transform=False, clip_quantile=1.0)
    assert unlogged.mean[0] == pytest.approx((E**3 - 1) / 4)


def test_transform_clips_at_training_quantiles_and_fills_with_the_median() -> None:
    train = pd.DataFrame({"return_rate": [1.0, 2.0, 3.0, 4.0, 100.0, np.nan]})
    transform = FeatureTransform.fit(train, ["return_rate"], clip_quantile=0.75)
    # NaN -> median 3; quantiles 0.25 / 0.75 of [1, 2, 3, 3, 4, 100] are 2.25 and 3.75
    clipped = np.array([2.25, 2.25, 3.0, 3.75, 3.75, 3.0])
    assert transform.lower[0] == pytest.approx(2.25) and transform.upper[0] == pytest.approx(3.75)
    assert transform.transform(train)[:, 0] == pytest.approx((clipped - clipped.mean()) / clipped.std())
    new = pd.DataFrame({"return_rate": [-50.0, np.inf, 1e9]})
    assert transform.transform(new)[:, 0] == pytest.approx((np.array([2.25, 3.0, 3.75]) - clipped.mean()) / clipped.std())
    with pytest.raises(ValueError, match="lacks column 'return_rate'"):
        transform.transform(pd.DataFrame({"orders": [1.0]}))


def test_a_constant_column_scales_to_zero_not_nan() -> None:
    frame = pd.DataFrame({"return_rate": [0.2, 0.2, 0.2]})
    assert FeatureTransform.fit(frame, ["return_rate"]).transform(frame)[:, 0].tolist() == [0.0, 0.0, 0.0]


def test_profiles_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "recency_days": [10.0, 20.0, 30.0, 40.0, 300.0, 500.0],
            "orders": [5.0, 7.0, 9.0, 11.0, 1.0, 1.0],
            "spend_total": [100.0, 200.0, 300.0, 400.0, 0.0, 1000.0],
        }
    )
    centroids = pd.DataFrame({"orders": [1.0, -2.0], "recency_days": [-0.2, 1.5]}, index=[4, 7])
    profile = segment_profiles(frame, np.array([4, 4, 4, 4, 7, 7]), centroids)
    assert profile["segment_id"].tolist() == [4, 7]
    assert profile["size"].tolist() == [4, 2]
    assert profile["share_customers"].tolist() == pytest.approx([4 / 6, 2 / 6])
    assert profile["share_revenue"].tolist() == pytest.approx([1000 / 2000, 1000 / 2000])
    assert profile["median_recency_days"].tolist() == [25.0, 400.0]
    assert profile["median_frequency"].tolist() == [8.0, 1.0]
    assert profile["median_monetary"].tolist() == [250.0, 500.0]
    assert profile["distinguishing"].tolist() == ["orders +1.0 sd", "orders -2.0 sd, recency_days +1.5 sd"]
    without_spend = segment_profiles(frame.drop(columns="spend_total"), np.array([4] * 4 + [7] * 2), centroids)
    assert without_spend["share_revenue"].isna().all() and without_spend["median_monetary"].isna().all()


def test_distinguishing_features_keep_the_three_strongest() -> None:
    centroid = pd.Series({"a": 0.3, "b": -2.04, "c": 1.0, "d": 0.2, "e": -0.6})
    assert distinguishing_features(centroid) == "b -2.0 sd, c +1.0 sd, e -0.6 sd"
    assert distinguishing_features(pd.Series({"a": 0.1, "b": -0.2})) == "close to the average customer on every feature"


@pytest.mark.parametrize(
    ("centroid", "median_orders", "name"),
    [
        ({"recency_days": -1.7, "orders": 1.5, "spend_total": 1.1, "order_value_mean": -0.3}, 25, "loyal high spenders"),
        ({"nov_dec_order_share": 1.7, "order_value_mean": 1.6, "spend_total": 0.9}, 3, "festive big baskets"),
        ({"recency_days": 0.5, "tenure_days": -1.3, "orders": -1.2}, 1, "one-time buyers"),
        ({"recency_days": 1.2, "tenure_days": 0.3}, 1, "lapsing one-time buyers"),
        ({"recency_days": 0.8, "tenure_days": 1.2, "spend_total": 0.1}, 6, "lapsing customers"),
        ({"recency_days": -0.4, "tenure_days": -1.0}, 2, "new customers"),
        ({"recency_days": 0.4, "tenure_days": -1.0}, 2, "average customers"),
        ({"recency_days": 0.8, "orders": 2.0, "nov_dec_order_share": 1.5}, 9, "loyal festive customers"),
        ({"spend_total": -1.0, "order_value_mean": -0.2}, 2, "low spenders"),
        ({"orders": 0.9, "nov_dec_order_share": np.nan}, 4, "loyal customers"),
    ],
)
def test_names_follow_the_rule_table(centroid: dict[str, float], median_orders: int, name: str) -> None:
    assert segment_name(pd.Series(centroid), median_orders) == name


def test_names_that_would_repeat_get_qualifiers() -> None:
    centroids = pd.DataFrame(
        {
            "return_rate": [0.5, -0.3, 0.0, 0.1, 0.1],
            "orders": [0.1, 0.2, 2.0, 0.0, 0.0],
            "lines_per_order_mean": [0.0, 0.0, 0.0, 0.3, 0.3],
        },
        index=[0, 1, 2, 5, 6],
    )
    names = name_segments(centroids, pd.Series({0: 3.0, 1: 3.0, 2: 9.0, 5: 3.0, 6: 3.0}))
    # 0, 1, 5 and 6 are all average. Against the group mean (return_rate 0.1, orders 0.075,
    # lines 0.15) 0 and 1 differ most in return_rate (+0.4, -0.4), 5 and 6 in lines (+0.15);
    # 5 and 6 are identical, so only their ids tell them apart
    assert names == {
        0: "average customers (higher return_rate)",
        1: "average customers (lower return_rate)",
        2: "loyal customers",
        5: "average customers (higher lines_per_order_mean) (segment 5)",
        6: "average customers (higher lines_per_order_mean) (segment 6)",
    }


def test_first_model_numbers_segments_from_the_largest() -> None:
    assert ids_by_size(np.array([10, 40, 25, 40])) == {1: 0, 3: 1, 2: 2, 0: 3}


def test_permuted_clusters_map_back_to_their_previous_ids() -> None:
    previous = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    previous_ids = [3, 0, 7, 1]
    order = [2, 0, 3, 1]
    new = previous[order] + 0.1
    assert match_to_previous(new, previous, previous_ids, next_id=8) == {0: 7, 1: 3, 2: 1, 3: 0}


def test_extra_and_empty_clusters_get_ids_never_used() -> None:
    previous = np.array([[0.0, 0.0], [5.0, 0.0]])
    new = np.array([[5.2, 0.1], [np.nan, np.nan], [20.0, 20.0], [0.1, -0.2]])
    # 0 and 3 take the previous ids; 1 (no customers) and 2 (the worse match) get 9 and 10
    assert match_to_previous(new, previous, [4, 2], next_id=9) == {0: 2, 3: 4, 1: 9, 2: 10}
    with pytest.raises(ValueError, match="one id per centroid"):
        match_to_previous(new, previous, [4], next_id=9)
