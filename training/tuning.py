"""Optuna tuning of the LightGBM candidates on the run's time-based validation split.

One study per task, stored in SQLite next to the MLflow store so an interrupted search resumes
(same study name: task, horizon and cutoff). Each task's booster has the objective, offset and
label of its record in `training.tasks`, exactly as the training job fits it. Each trial reports LightGBM's validation loss every
few boosting rounds, and the median pruner stops trials that fall behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import optuna

from training.config import DEFAULT_TRACKING_DIR, TrainConfig
from training.examples import Examples
from training.models.gbm import GbmModel
from training.tasks import CHURN, CLV, NEXT_PURCHASE, task as task_record

REPORT_EVERY = 10
TUNED = (CHURN.name, NEXT_PURCHASE.name, CLV.name)
"""The tasks with a tuned LightGBM, in tuning order."""


def storage_uri() -> str:
    """SQLite file that keeps every study (resumable)."""
    DEFAULT_TRACKING_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(DEFAULT_TRACKING_DIR / 'optuna.db').resolve()}"


def search_space(trial: optuna.Trial) -> dict[str, Any]:
    """LightGBM parameters worth searching for tabular customer data."""
    return {
        "n_estimators": trial.suggest_int("n_estimators", 100, 800, step=50),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 500, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30.0, log=True),
    }


def _pruning_callback(trial: optuna.Trial):
    def callback(env) -> None:
        if env.iteration % REPORT_EVERY or not env.evaluation_result_list:
            return
        _, _, value, _ = env.evaluation_result_list[0]
        trial.report(float(value), env.iteration)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned at round {env.iteration}")

    return callback


def tune_task(task: str, examples: Examples, config: TrainConfig, *, storage: str | None = None,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Best parameters of one task's LightGBM after config.tune_trials trials (resuming a study)."""
    record = task_record(task)
    train, valid = examples.train, examples.valid
    y_train = np.clip(train[record.label].to_numpy(dtype=float), 0, None)
    y_valid = np.clip(valid[record.label].to_numpy(dtype=float), 0, None)

    def objective(trial: optuna.Trial) -> float:
        if progress is not None:
            progress(f"tuning {task}: trial {trial.number + 1} of {config.tune_trials}")
        model = GbmModel(record.objective, params=search_space(trial), offset_column=record.offset,
                         random_state=config.seed)
        model.fit(train, y_train, eval_set=(valid, y_valid), callbacks=[_pruning_callback(trial)])
        scores = model.estimator_.evals_result_["valid_0"]
        return float(next(iter(scores.values()))[-1])

    study = optuna.create_study(
        study_name=f"{task}-h{config.horizon_days}-{config.as_of}-seed{config.seed}",
        storage=storage or storage_uri(),
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=config.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2 * REPORT_EVERY),
    )
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    remaining = max(config.tune_trials - done, 0)
    if remaining:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study.optimize(objective, n_trials=remaining)
    return dict(study.best_params)


def tune_all(examples: Examples, config: TrainConfig, *, storage: str | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Tuned parameters of every task in TUNED, by task name; `progress` is told each trial."""
    return {task: tune_task(task, examples, config, storage=storage, progress=progress) for task in TUNED}

