"""Optuna search over segmentation method, k and transform options, judged by mean silhouette.

Every trial is scored in one reference space (the default transform: log on, clipping at 0.99),
so options that change the transform compete on equal terms; BIC is not comparable across methods
and transforms, hence silhouette. The sampler is seeded TPE, so a search is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import optuna
import pandas as pd

from training.segmentation.clustering import METHODS, fit_clusterer, sample_rows, sample_silhouette
from training.segmentation.model import SegmentationModel
from training.segmentation.transform import FeatureTransform, select_features

CLIP_QUANTILES: tuple[float, ...] = (0.95, 0.99, 0.999)


@dataclass(frozen=True)
class SegmentSearch:
    """The best options refitted on every customer, and the study holding every trial."""

    model: SegmentationModel
    study: optuna.Study


def search_segments(
    features_df: pd.DataFrame,
    n_trials: int,
    storage: str | optuna.storages.BaseStorage | None = None,
    *,
    k_range: tuple[int, int] = (3, 10),
    methods: Sequence[str] = METHODS,
    features: Sequence[str] | None = None,
    random_state: int = 0,
    study_name: str | None = None,
    fit_sample_size: int = 50_000,
    silhouette_sample_size: int = 5_000,
    previous: SegmentationModel | None = None,
) -> SegmentSearch:
    """Search method x k x (log transform, clip quantile) for `n_trials` trials, then refit the best.

    Trials run on a seeded sample of at most `fit_sample_size` customers. `storage` is any Optuna
    storage (None keeps the study in memory); an existing study of the same name is resumed. The
    refit model takes its ids from `previous` when given, like SegmentationModel.fit.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a whole number >= 1; got {n_trials!r}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty selection of {', '.join(METHODS)}; got {list(methods)!r}")
    reference_model = SegmentationModel(
        k_range=k_range, random_state=random_state, features=features, fit_sample_size=fit_sample_size
    )
    columns = select_features(features_df, reference_model.features)
    sample = features_df.iloc[sample_rows(len(features_df), fit_sample_size, random_state)]
    reference = FeatureTransform.fit(sample, columns).transform(sample)

    def objective(trial: optuna.Trial) -> float:
        transform = FeatureTransform.fit(
            sample,
            columns,
            log_transform=trial.suggest_categorical("log_transform", [True, False]),
            clip_quantile=trial.suggest_categorical("clip_quantile", CLIP_QUANTILES),
        )
        X = transform.transform(sample)
        clusterer = fit_clusterer(
            X,
            trial.suggest_categorical("method", list(methods)),
            trial.suggest_int("n_segments", *reference_model.k_range),
            random_state,
        )
        return sample_silhouette(reference, clusterer.predict(X), random_state, silhouette_sample_size)

    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=random_state),
        load_if_exists=study_name is not None,
    )
    study.optimize(objective, n_trials=n_trials)
    best = study.best_params
    model = SegmentationModel(
        method=best["method"],
        n_segments=best["n_segments"],
        random_state=random_state,
        features=columns,
        log_transform=best["log_transform"],
        clip_quantile=best["clip_quantile"],
    ).fit(features_df, previous=previous)
    return SegmentSearch(model, study)
