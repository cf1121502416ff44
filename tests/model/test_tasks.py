"""The task registry: every task declared once, and tuning boosting each task as training does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training import tuning
from training.config import TrainConfig
from training.examples import Examples
from training.models.churn import ChurnModel
from training.models.clv import ClvModel
from training.models.gbm import GbmModel
from training.models.next_purchase import NextPurchaseModel
from training.tasks import CHURN, CLV, NEXT_PURCHASE, SUPERVISED, TASKS

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"n_estimators": 5, "num_leaves": 4, "min_child_samples": 5}


def _examples(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 0.5, n)
    orders = rng.poisson(rate)
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "recency_days": rng.uniform(0, 300, n),
        "bgnbd_expected_orders": rate,
        "bgnbd_p_purchase": 1 - np.exp(-rate),
        "bgnbd_p_no_purchase": np.exp(-rate),
        "pnbd_p_purchase": 1 - np.exp(-rate),
        "bgnbd_gg_spend": rate * 40.0,
        "label_orders": orders.astype(float),
        "label_churned": (orders == 0).astype(float),
        "label_spend": orders * rng.gamma(2.0, 20.0, n),
        "label_next_observed": orders > 0,
        "label_days_to_next": np.where(orders > 0, rng.uniform(1, 90, n), np.nan),
    })


def test_each_tasks_label_and_registered_name_are_written_in_the_registry_only() -> None:
    sources = [p for package in ("training", "serving") for p in (ROOT / package).rglob("*.py")
               if p != ROOT / "training" / "tasks.py"]
    for task in TASKS.values():
        for text in filter(None, (task.label, task.registered_name)):
            found = [str(p.relative_to(ROOT)) for p in sources if f'"{text}"' in p.read_text("utf-8")]
            assert not found, f"{task.name}: {text!r} is declared again in {found}"


def test_supervised_tasks_have_a_label_an_objective_and_outputs_scoring_gives() -> None:
    from training.predict import SCORE_COLUMNS

    for task in SUPERVISED:
        assert task.label and task.objective and task.metric
        assert set(task.outputs) <= set(SCORE_COLUMNS)
    assert {column for task in TASKS.values() for column in task.outputs} == set(SCORE_COLUMNS) - {"customer_id", "status"}


def test_tuning_boosts_each_task_with_the_objective_and_offset_training_uses(monkeypatch, tmp_path) -> None:
    """The trees tuned for a task start from the same offset as the ones the job fits (CLV was tuned
    from the BG/NBD x Gamma-Gamma spend but trained without it)."""
    frame = _examples()
    tuned: dict[str, tuple[str, str | None]] = {}

    class Recording(GbmModel):
        def fit(self, frame, target, **kwargs):
            tuned[current] = (self.objective, self.offset_column)
            return super().fit(frame, target, **kwargs)

    monkeypatch.setattr(tuning, "GbmModel", Recording)
    examples = Examples(frame.iloc[:300], frame.iloc[300:], frame, frame, None, "test", "test", ())
    config = TrainConfig(as_of=dt.date(2023, 6, 30), tune_trials=1)
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    for current in tuning.TUNED:
        tuning.tune_task(current, examples, config, storage=storage)

    churn = ChurnModel(params=SMALL).fit(frame, frame).model_
    count = NextPurchaseModel(91, params=SMALL).fit(frame, frame).count_model_
    clv = ClvModel(params=SMALL).fit(frame, frame).model_
    trained = {task: (model.objective, model.offset_column)
               for task, model in ((CHURN.name, churn), (NEXT_PURCHASE.name, count), (CLV.name, clv))}
    assert tuned == trained
    assert trained == {task.name: (task.objective, task.offset) for task in SUPERVISED}
    assert CLV.offset is None


def test_train_refuses_parameters_of_an_unknown_task() -> None:
    from training.job import train

    with pytest.raises(ValueError, match="unknown task.*orders.*next_purchase"):
        train(pd.DataFrame(), TrainConfig(as_of=dt.date(2023, 6, 30)), params={"orders": SMALL})
