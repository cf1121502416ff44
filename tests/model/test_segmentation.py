"""SegmentationModel on a hand-made feature frame with four obvious groups: recovery, profiles,
names, stable ids across retrains, the Optuna search and parameter checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from training.segmentation import SegmentationModel
from training.segmentation.search import search_segments

PER_GROUP = 40
GROUPS = {
    # group: (recency days, extra tenure days or None for one purchase, orders, order value, Nov-Dec share)
    "loyal": (8, 700, 25, 60, 0.17),
    "festive": (200, 600, 3, 250, 0.95),
    "one_time": (300, None, 1, 40, 0.0),
    "lapsing": (500, 1000, 6, 55, 0.17),
}
EXPECTED_NAMES = {
    "loyal": "loyal high spenders",
    "festive": "festive big baskets",
    "one_time": "one-time buyers",
    "lapsing": "lapsing customers",
}


def obvious_groups(seed: int = 0) -> pd.DataFrame:
    """build_features-like columns for PER_GROUP customers of each group, spread lognormally."""
    rng = np.random.default_rng(seed)
    parts = []
    for group, (recency, tenure, orders, order_value, festive_share) in GROUPS.items():
        part = pd.DataFrame({"group": group, "recency_days": _spread(rng, recency)})
        part["tenure_days"] = part["recency_days"] + (0.0 if tenure is None else _spread(rng, tenure))
        part["orders"] = np.maximum(_spread(rng, orders), 1.0) if orders > 1 else 1.0
        part["order_value_mean"] = _spread(rng, order_value)
        part["spend_total"] = part["orders"] * part["order_value_mean"]
        part["nov_dec_order_share"] = np.clip(festive_share + rng.normal(0.0, 0.03, PER_GROUP), 0.0, 1.0)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "customer_id", [f"c{i:03d}" for i in range(len(frame))])
    return frame


def _spread(rng: np.random.Generator, centre: float) -> np.ndarray:
    return np.round(centre * np.exp(rng.normal(0.0, 0.25, PER_GROUP)))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return obvious_groups()


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> SegmentationModel:
    return SegmentationModel().fit(frame)


def segment_of_group(model: SegmentationModel, frame: pd.DataFrame) -> dict[str, int]:
    """The segment id holding each group, checking that every group is exactly one segment."""
    table = pd.crosstab(frame["group"], model.labels_)
    assert ((table > 0).sum(axis=1) == 1).all(), table
    return {group: int(table.loc[group].idxmax()) for group in GROUPS}


def test_groups_are_recovered_with_k_chosen_by_silhouette(model: SegmentationModel, frame: pd.DataFrame) -> None:
    assert adjusted_rand_score(frame["group"], model.labels_) == 1.0
    assert list(model.selection_scores_) == list(range(3, 11))
    assert model.n_segments_ == 4 == max(model.selection_scores_, key=model.selection_scores_.get)
    assert model.feature_names_ == (
        "recency_days",
        "tenure_days",
        "orders",
        "spend_total",
        "order_value_mean",
        "nov_dec_order_share",
    )


def test_names_describe_the_groups(model: SegmentationModel, frame: pd.DataFrame) -> None:
    ids = segment_of_group(model, frame)
    assert {group: model.names_[ids[group]] for group in GROUPS} == EXPECTED_NAMES
    festive = model.profiles_.set_index("segment_id").loc[ids["festive"], "distinguishing"]
    assert festive.startswith("nov_dec_order_share +")


def test_profiles_match_the_groups(model: SegmentationModel, frame: pd.DataFrame) -> None:
    ids = segment_of_group(model, frame)
    by_group = frame.groupby("group")
    expected = pd.DataFrame(
        {
            "segment_id": [ids[g] for g in GROUPS],
            "name": [EXPECTED_NAMES[g] for g in GROUPS],
            "size": PER_GROUP,
            "share_customers": 0.25,
            "share_revenue": [by_group["spend_total"].sum()[g] / frame["spend_total"].sum() for g in GROUPS],
            "median_recency_days": [by_group["recency_days"].median()[g] for g in GROUPS],
            "median_frequency": [by_group["orders"].median()[g] for g in GROUPS],
            "median_monetary": [by_group["spend_total"].median()[g] for g in GROUPS],
        }
    ).sort_values("segment_id", ignore_index=True)
    profiles = model.profiles_.drop(columns="distinguishing")
    pd.testing.assert_frame_equal(profiles, expected, check_dtype=False)
    assert model.profiles_["share_revenue"].sum() == pytest.approx(1.0)


def test_predict_places_new_customers_with_the_training_scaling(
    model: SegmentationModel, frame: pd.DataFrame
) -> None:
    assert np.array_equal(model.predict(frame), model.labels_)
    ids = segment_of_group(model, frame)
    # a frame of loyal customers alone would look average if it were rescaled on itself
    loyal_only = frame[frame["group"] == "loyal"]
    assert set(model.predict(loyal_only)) == {ids["loyal"]}
    newcomer = pd.DataFrame(
        {
            "recency_days": [210.0],
            "tenure_days": [800.0],
            "orders": [2.0],
            "order_value_mean": [300.0],
            "spend_total": [600.0],
            "nov_dec_order_share": [1.0],
        }
    )
    assert model.predict(newcomer).tolist() == [ids["festive"]]


def test_fitting_is_deterministic(model: SegmentationModel, frame: pd.DataFrame) -> None:
    again = SegmentationModel().fit(frame)
    assert np.array_equal(again.labels_, model.labels_)
    assert again.selection_scores_ == model.selection_scores_
    assert again.names_ == model.names_


def test_gaussian_mixture_by_bic_recovers_the_groups(frame: pd.DataFrame) -> None:
    gmm = SegmentationModel(method="gmm", criterion="bic", k_range=(2, 6)).fit(frame)
    assert min(gmm.selection_scores_, key=gmm.selection_scores_.get) == gmm.n_segments_ == 4
    assert adjusted_rand_score(frame["group"], gmm.labels_) == 1.0


def test_optional_columns_are_used_when_present(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    with_channels = frame.assign(channel_share_web=rng.random(len(frame)), distinct_categories=np.nan)
    with_channels["channel_share_store"] = 1.0 - with_channels["channel_share_web"]
    fitted = SegmentationModel(n_segments=4).fit(with_channels)
    assert fitted.feature_names_[-2:] == ("channel_share_store", "channel_share_web")
    assert "distinct_categories" not in fitted.feature_names_
    chosen = SegmentationModel(n_segments=4, features=["orders", "recency_days"]).fit(frame)
    assert chosen.feature_names_ == ("orders", "recency_days")
    assert list(chosen.selection_scores_) == [4]


def test_refit_on_the_same_data_keeps_every_id(model: SegmentationModel, frame: pd.DataFrame) -> None:
    refit = SegmentationModel().fit(frame, previous=model)
    assert np.array_equal(refit.labels_, model.labels_)
    assert refit.names_ == model.names_
    assert refit.moved_ == 0 and model.moved_ is None
    assert refit.next_id_ == model.next_id_ == 4


def test_shuffled_rows_and_another_seed_keep_each_customers_id(
    model: SegmentationModel, frame: pd.DataFrame
) -> None:
    shuffled = frame.sample(frac=1.0, random_state=7)
    before = pd.Series(model.labels_, index=frame["customer_id"]).sort_index()
    # all four segments are the same size, so without `previous` their numbering is arbitrary
    unmatched = SegmentationModel(random_state=11).fit(shuffled)
    assert not pd.Series(unmatched.labels_, index=shuffled["customer_id"]).sort_index().equals(before)
    refit = SegmentationModel(random_state=11).fit(shuffled, previous=model)
    after = pd.Series(refit.labels_, index=shuffled["customer_id"]).sort_index()
    pd.testing.assert_series_equal(after, before)
    assert refit.moved_ == 0


def test_merged_segments_retire_an_id_and_new_ones_never_reuse_it(
    model: SegmentationModel, frame: pd.DataFrame
) -> None:
    merged = SegmentationModel(n_segments=3).fit(frame, previous=model)
    retired = set(model.names_) - set(merged.names_)
    assert len(retired) == 1 and set(merged.names_) < set(model.names_)
    # the customers of the retired segment, and only they, moved
    assert merged.moved_ == PER_GROUP == int(np.isin(model.labels_, list(retired)).sum())
    split = SegmentationModel(n_segments=5).fit(frame, previous=merged)
    assert set(split.names_) - set(merged.names_) == {4, 5}
    assert split.next_id_ == 6


def test_search_is_reproducible(frame: pd.DataFrame) -> None:
    first = search_segments(frame, n_trials=5)
    second = search_segments(frame, n_trials=5)
    assert first.study.best_params == second.study.best_params
    assert set(first.study.best_params) == {"method", "n_segments", "log_transform", "clip_quantile"}
    assert np.array_equal(first.model.labels_, second.model.labels_)
    assert first.model.n_segments_ == first.study.best_params["n_segments"]
    assert first.study.best_value == max(t.value for t in first.study.trials)


@pytest.mark.slow
def test_search_resumes_a_stored_study(frame: pd.DataFrame, tmp_path) -> None:
    storage = f"sqlite:///{tmp_path / 'segments.db'}"
    search_segments(frame, n_trials=2, storage=storage, study_name="segments")
    resumed = search_segments(frame, n_trials=2, storage=storage, study_name="segments")
    assert len(resumed.study.trials) == 4


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "dbscan"}, "method must be one of kmeans, gmm"),
        ({"criterion": "bic"}, "criterion='bic' needs method='gmm'"),
        ({"n_segments": 1}, "n_segments must be a whole number >= 2"),
        ({"k_range": (5, 3)}, r"k_range\[1\] must be a whole number >= 5"),
        ({"clip_quantile": 0.3}, r"clip_quantile must be in \(0.5, 1\]"),
        ({"features": ["orders", "orders"]}, "features lists a column twice"),
    ],
)
def test_bad_parameters_are_refused_on_construction(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SegmentationModel(**params)


def test_misuse_is_explained(model: SegmentationModel, frame: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        SegmentationModel().predict(frame)
    with pytest.raises(NotFittedError, match="call fit"):
        SegmentationModel().fit(frame, previous=SegmentationModel())
    with pytest.raises(ValueError, match="5 customers are too few for 10 segments"):
        SegmentationModel().fit(frame.head(5))
    with pytest.raises(ValueError, match="lacks column 'nov_dec_order_share'"):
        model.predict(frame.drop(columns="nov_dec_order_share"))
    with pytest.raises(TypeError, match="features must be a non-empty list"):
        SegmentationModel(features="orders")
