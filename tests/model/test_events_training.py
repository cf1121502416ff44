"""Training with events: every frame carries the engagement features, which the models read; models
trained with events refuse to score without them; without events nothing changes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from features.pipeline import ENGAGEMENT_COLUMNS
from features.synth import SimulationConfig, simulate
from training.config import TrainConfig
from training.examples import build_examples
from training.frame import feature_columns
from training.predict import require_events


@pytest.fixture(scope="module")
def base():
    return simulate(SimulationConfig(n_customers=300, seed=4, start="2022-01-01", end="2023-12-31", events=True))


def test_examples_with_events_carry_the_engagement_features_as_model_inputs(base):
    config = TrainConfig(as_of=dt.date(2023, 9, 30), horizon_days=91, n_cutoffs=1, seasonal_years=0)
    rich = build_examples(base.transactions, config, events=base.events)
    for frame in (rich.train, rich.valid, rich.full, rich.scoring):
        assert set(ENGAGEMENT_COLUMNS) <= set(feature_columns(frame))
    assert rich.scoring["has_email_events"].mean() > 0.5
    assert rich.full.groupby("as_of")["has_web_events"].mean().gt(0.5).all()


def test_models_trained_with_events_need_them_to_score():
    with pytest.raises(ValueError, match="trained with engagement events; give the events"):
        require_events(SimpleNamespace(uses_events=True), None)
    assert require_events(SimpleNamespace(uses_events=True), "data/events") == "data/events"
    assert require_events(SimpleNamespace(uses_events=False), "data/events") is None
    assert require_events(SimpleNamespace(), None) is None  # models stored before events existed
