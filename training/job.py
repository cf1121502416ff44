"""The training job as a pure function: transactions + config -> fitted models and their evaluation.

Candidates (LightGBM boosted from the baselines, and the baselines themselves) are fitted on the
training examples and compared on the validation examples; each task keeps the candidate that
validates best, then is refitted on every example whose label window ends by as_of. No MLflow, no
files: tracking wraps this in `training.tracking`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from features.pipeline import ENGAGEMENT_COLUMNS, FEATURE_COLUMNS, FEATURE_SCHEMA_VERSION
from features.pipeline.source import Events
from features.pipeline.source import Transactions
from training.baselines import Baselines
from training.config import TrainConfig
from training.drift import FeatureReference
from training.evaluation import best_candidate, candidate_predictions, evaluation_table
from training.examples import Examples, build_examples
from training.models.churn import BLEND_METHODS, METHODS as CHURN_METHODS, ChurnModel
from training.models.clv import ClvModel
from training.models.next_purchase import COUNT_METHODS, NextPurchaseModel
from training.segmentation import SegmentationModel
from training.tasks import CHURN, CLV, LABEL_COLUMNS, NEXT_PURCHASE, SUPERVISED


@dataclass
class CustomerModels:
    """The four models of one run and what scoring needs besides features."""

    as_of: str
    horizon_days: int
    probability_days: tuple[int, ...]
    channels: list[str]
    """The channel names as in the data (not column slugs), passed back to every scoring frame."""
    feature_schema_version: str
    baselines: Baselines
    segments: SegmentationModel
    churn: ChurnModel
    next_purchase: NextPurchaseModel
    clv: ClvModel
    reference: FeatureReference | None = None
    """Feature distributions at `as_of`, the yardstick of batch scoring's drift check."""
    uses_events: bool = False
    """Trained with engagement features: scoring needs the events too."""


@dataclass
class TrainingOutcome:
    """Models, the validation table of every candidate, and what was chosen and why."""

    models: CustomerModels
    validation: pd.DataFrame
    choices: dict[str, str]
    scheme: str
    scheme_description: str
    counts: dict[str, int]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    valid_predictions: pd.DataFrame | None = None
    valid_frame: pd.DataFrame | None = None
    scoring_frame: pd.DataFrame | None = None


Progress = Callable[[str], None]
"""Told what each step is as it starts: the progress display, and the fault tests' kill points."""


def _quiet(_: str) -> None:
    return None


def fit_candidates(train: pd.DataFrame, config: TrainConfig, params: dict[str, dict[str, Any]],
                   progress: Progress = _quiet):
    """LightGBM candidates for the three supervised tasks, fitted on `train`."""
    progress(f"validation fit: churn on {len(train):,} examples")
    churn = ChurnModel(params=params.get(CHURN.name), random_state=config.seed).fit(train, train)
    next_purchase = NextPurchaseModel(
        config.horizon_days, probability_days=config.probability_days, params=params.get(NEXT_PURCHASE.name),
        random_state=config.seed,
    ).fit(train, train)
    clv = ClvModel(params=params.get(CLV.name), random_state=config.seed).fit(train, train)
    return churn, next_purchase, clv


def validate_candidates(examples: Examples, config: TrainConfig, params: dict[str, dict[str, Any]],
                        progress: Progress = _quiet):
    """Fit on the training examples, score every candidate on the validation examples."""
    churn, next_purchase, clv = fit_candidates(examples.train, config, params, progress)
    progress(f"scoring the candidates on {len(examples.valid):,} validation examples")
    valid = examples.valid
    candidates = candidate_predictions(valid, config.horizon_days)
    candidates[NEXT_PURCHASE.name]["gbm"] = next_purchase.expected_orders(valid)
    candidates[CHURN.name].update(churn.candidate_probabilities(valid, ("gbm", *BLEND_METHODS)))
    candidates[CLV.name]["gbm"] = clv.predict(valid)
    table = evaluation_table(valid, candidates)
    predictions = pd.DataFrame(
        {f"{task}_{name}": values for task, by_name in candidates.items() for name, values in by_name.items()}
    )
    predictions = pd.concat([valid[["customer_id", "as_of", *LABEL_COLUMNS]]
                             .reset_index(drop=True), predictions], axis=1)
    return table, predictions


def train(transactions: Transactions, config: TrainConfig, *, previous: CustomerModels | None = None,
          params: dict[str, dict[str, Any]] | None = None, examples: Examples | None = None,
          progress: Progress = _quiet, events: Events | None = None) -> TrainingOutcome:
    """Run the whole job. `previous` (the current champions) keeps segment ids stable; `examples`
    reuses frames already built for this config (e.g. by tuning); `progress` is told each step;
    `events` adds the engagement features (the models then need events to score)."""
    params = params or {}
    tuned = [task.name for task in SUPERVISED]
    unknown = sorted(set(params) - set(tuned))
    if unknown:
        raise ValueError(f"LightGBM parameters for unknown task(s) {', '.join(unknown)}; the tasks with "
                         f"LightGBM models are {', '.join(tuned)}")
    examples = examples or build_examples(transactions, config, events)
    table, predictions = validate_candidates(examples, config, params, progress)
    choices = {
        NEXT_PURCHASE.name: best_candidate(table, NEXT_PURCHASE.name, COUNT_METHODS),
        CHURN.name: best_candidate(table, CHURN.name, CHURN_METHODS),
        CLV.name: best_candidate(table, CLV.name, ("gbm", "bgnbd_gg")),
    }
    full = examples.full
    progress(f"final fit: churn ({choices[CHURN.name]}) on {len(full):,} examples")
    churn = ChurnModel(method=choices[CHURN.name], params=params.get(CHURN.name), random_state=config.seed).fit(
        full, full)
    progress(f"final fit: next purchase ({choices[NEXT_PURCHASE.name]})")
    next_purchase = NextPurchaseModel(
        config.horizon_days, probability_days=config.probability_days, count_method=choices[NEXT_PURCHASE.name],
        params=params.get(NEXT_PURCHASE.name), random_state=config.seed,
    ).fit(full, full)
    progress(f"final fit: clv ({choices[CLV.name]})")
    clv = ClvModel(method="gbm" if choices[CLV.name] == "gbm" else "baseline", params=params.get(CLV.name),
                   random_state=config.seed).fit(full, full)
    progress(f"segmenting {len(examples.scoring):,} customers")
    segments = SegmentationModel(random_state=config.seed).fit(
        examples.scoring, previous=previous.segments if previous else None
    )
    models = CustomerModels(
        as_of=str(config.as_of), horizon_days=config.horizon_days, probability_days=config.probability_days,
        channels=list(examples.channels), feature_schema_version=FEATURE_SCHEMA_VERSION, baselines=examples.final_baselines,
        segments=segments, churn=churn, next_purchase=next_purchase, clv=clv,
        reference=FeatureReference.fit(examples.scoring, FEATURE_COLUMNS),
        uses_events=bool(set(ENGAGEMENT_COLUMNS) & set(examples.scoring.columns)),
    )
    counts = {
        "train_rows": len(examples.train), "valid_rows": len(examples.valid), "full_rows": len(full),
        "cutoffs": int(full["as_of"].nunique()), "customers_at_as_of": len(examples.scoring),
    }
    return TrainingOutcome(models, table, choices, examples.scheme, examples.description, counts, params,
                           predictions, examples.valid, examples.scoring)
