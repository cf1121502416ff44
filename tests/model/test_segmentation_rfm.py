"""RFM quintile segmentation against scores and groups worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from training.segmentation.rfm import GROUP_GRID, RFM_GROUPS, quintile_scores, rfm_segments


def test_distinct_values_fill_each_quintile_twice() -> None:
    # ten distinct values: 0..9 customers strictly worse -> 1 + floor(5 * k / 10)
    values = np.array([30.0, 10, 90, 20, 50, 40, 80, 60, 100, 70])
    assert quintile_scores(values, higher_is_better=True).tolist() == [2, 1, 5, 1, 3, 2, 4, 3, 5, 4]
    assert quintile_scores(values, higher_is_better=False).tolist() == [4, 5, 1, 5, 3, 4, 2, 3, 1, 2]


def test_ties_share_the_score_of_their_worst_placed_member() -> None:
    # six one-time buyers: 0 worse -> 1; orders 2: 6 worse -> 1 + floor(3) = 4;
    # 3: 7 worse -> 1 + floor(3.5) = 4; 5: 8 worse -> 5; 8: 9 worse -> 5
    orders = np.array([1.0, 1, 1, 1, 1, 1, 2, 3, 5, 8])
    assert quintile_scores(orders, higher_is_better=True).tolist() == [1] * 6 + [4, 4, 5, 5]
    # recency, lower is better: the two customers at 1 day have 8 worse -> 5; 400 days -> 0 worse -> 1
    recency = np.array([1.0, 1, 5, 9, 20, 20, 20, 60, 90, 400])
    assert quintile_scores(recency, higher_is_better=False).tolist() == [5, 5, 4, 4, 2, 2, 2, 2, 1, 1]


def test_scores_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 6, size=200).astype(float)
    order = rng.permutation(200)
    scores = quintile_scores(values, higher_is_better=True)
    assert np.array_equal(quintile_scores(values[order], higher_is_better=True), scores[order])


def test_every_recency_frequency_pair_has_exactly_one_group() -> None:
    covered = [
        (r, f) for _, r_scores, f_scores in RFM_GROUPS for r, f in itertools.product(r_scores, f_scores)
    ]
    assert sorted(covered) == list(itertools.product(range(1, 6), range(1, 6)))
    assert GROUP_GRID[5 - 1, 5 - 1] == "champions"
    assert GROUP_GRID[1 - 1, 1 - 1] == "hibernating"


def test_rfm_segments_by_hand() -> None:
    features = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(10)],
            "recency_days": [3.0, 5, 400, 10, 250, 30, 2, 60, 120, 8],
            "orders": [12.0, 1, 9, 6, 1, 3, 2, 4, 1, 1],
            "spend_total": [900.0, 40, 700, 300, 20, 150, 80, 200, 35, 60],
        },
        index=pd.RangeIndex(100, 110),
    )
    out = rfm_segments(features)
    # R (lower recency better): 2,3,5,8,10,30,60,120,250,400 -> 5,5,4,4,3,3,2,2,1,1
    # F: four 1s -> 1; 2 -> 4 worse -> 3; 3 -> 3; 4 -> 4; 6 -> 4; 9 -> 5; 12 -> 5
    # M: 20,35,40,60,80,150,200,300,700,900 -> 1,1,2,2,3,3,4,4,5,5
    assert out.index.equals(features.index)
    assert out["customer_id"].tolist() == features["customer_id"].tolist()
    assert out["R"].tolist() == [5, 4, 1, 3, 1, 3, 5, 2, 2, 4]
    assert out["F"].tolist() == [5, 1, 5, 4, 1, 3, 3, 4, 1, 1]
    assert out["M"].tolist() == [5, 2, 5, 4, 1, 3, 3, 4, 1, 2]
    assert out["rfm_cell"].tolist() == ["555", "412", "155", "344", "111", "333", "533", "244", "211", "412"]
    assert out["rfm_segment"].tolist() == [
        "champions",
        "promising",
        "cannot lose them",
        "loyal customers",
        "hibernating",
        "need attention",
        "potential loyalists",
        "at risk",
        "hibernating",
        "promising",
    ]


def test_other_columns_can_stand_in() -> None:
    features = pd.DataFrame({"days_since": [1.0, 2.0], "n": [2.0, 1.0], "value": [5.0, 9.0]})
    out = rfm_segments(features, recency="days_since", frequency="n", monetary="value")
    # two customers: the better one has 1 of 2 worse -> 1 + floor(2.5) = 3, the other 1
    assert out["rfm_cell"].tolist() == ["331", "113"]
    assert "customer_id" not in out.columns


def test_missing_or_incomplete_columns_are_refused() -> None:
    features = pd.DataFrame({"recency_days": [1.0, np.nan], "orders": [1.0, 2.0], "spend_total": [3.0, 4.0]})
    with pytest.raises(ValueError, match="recency column 'recency_days' has 1 missing"):
        rfm_segments(features)
    with pytest.raises(ValueError, match="monetary column 'spend_total'.*monetary='<column>'"):
        rfm_segments(features.fillna(2.0).drop(columns="spend_total"))
