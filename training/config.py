"""Training configuration: one typed, validated place for every knob of a training run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from features.engine import Engine
from training.settings import TrainingSettings

DEFAULT_TRACKING_DIR = Path("mlruns")


class TrainConfig(BaseModel):
    """What to train on and how. Days are calendar days; `as_of` is the last day of data used.

    The stacked training cutoffs are `n_cutoffs` recent ones, `step` days apart, and the same
    window as the one predicted `seasonal_years` years earlier (where the history reaches back).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: dt.date
    horizon_days: int = Field(182, ge=7, le=1096)
    n_cutoffs: int = Field(6, ge=1, le=52)
    step_days: int | None = Field(None, ge=1)
    seasonal_years: int = Field(1, ge=0, le=5)
    probability_days: tuple[int, ...] = (30, 90)
    min_history_days: int = Field(28, ge=0)
    validation_share: float = Field(0.2, gt=0, lt=0.5)
    tune_trials: int = Field(0, ge=0)
    seed: int = 0
    engine: Engine = Engine.duckdb

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if any(d < 1 for d in self.probability_days):
            raise ValueError("probability_days must be positive day counts")
        return self

    @property
    def step(self) -> int:
        """Days between stacked cutoffs: a month by default, never more than the horizon."""
        return self.step_days or min(self.horizon_days, 30)


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI if set, else a local SQLite store under ./mlruns. A local store that is
    empty, not SQLite or damaged is refused here (DamagedStore), before anything opens it."""
    from training.store_health import check_tracking_store

    uri = TrainingSettings.from_env().tracking_uri
    if not uri:
        DEFAULT_TRACKING_DIR.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{(DEFAULT_TRACKING_DIR / 'mlflow.db').resolve()}"
    check_tracking_store(uri)
    return uri


def artifact_root() -> str:
    """Where a new local experiment keeps its artifacts."""
    return (DEFAULT_TRACKING_DIR / "artifacts").resolve().as_uri()

