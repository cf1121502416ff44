"""Jobs as the CLI runs them: training with tracking, and evaluation of the champions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.engine import parquet_source
from features.pipeline import build_labels, purchasers_of
from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA, check_cutoff, usable_data_end
from features.pipeline.source import Events
from training.bases import Base
from training.champions import champion_bundle, load_champions
from training.config import TrainConfig
from training.evaluation import candidate_predictions, evaluation_table, wide
from training.examples import build_examples
from training.job import TrainingOutcome, train
from training.predict import score
from training.tasks import CHURN, CLV, NEXT_PURCHASE, SUPERVISED
from training.tuning import tune_all
from training.tracking import Progress, Registration, configure, data_fingerprint, log_training_run, training_run


@dataclass(frozen=True)
class TrainingRun:
    run_id: str
    outcome: TrainingOutcome
    registrations: list[Registration]


def load_until(transactions: str | Path, as_of: dt.date) -> pd.DataFrame:
    """The canonical transactions up to the end of `as_of` (later rows are never read)."""
    path = parquet_source(transactions)
    end = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    frame = pd.read_parquet(path, filters=[("timestamp", "<", end)])
    if frame.empty:
        raise ValueError(f"{path}: no transactions on or before {as_of}")
    return frame


def run_training(transactions: str | Path, *, as_of: dt.date, horizon_days: int, tune_trials: int = 0,
                 n_cutoffs: int = 6, step_days: int | None = None, seasonal_years: int = 1,
                 engine: str = "duckdb", seed: int = 0, base: Base = Base(),
                 progress: Progress | None = None, events: Events | None = None,
                 max_days_past_data: int = DEFAULT_MAX_DAYS_PAST_DATA) -> TrainingRun:
    """Train on data up to `as_of` (and `events`, when given), log to MLflow in `base`'s
    experiment, register and promote.

    The MLflow run is open from the first step, so its duration is the job's; `progress` is told
    each step as it starts. An `as_of` more than `max_days_past_data` after the last transaction
    is refused before any work: its label windows would hold no purchases."""
    config = TrainConfig(as_of=as_of, horizon_days=horizon_days, tune_trials=tune_trials, n_cutoffs=n_cutoffs,
                         step_days=step_days, seasonal_years=seasonal_years, engine=engine, seed=seed)
    check_cutoff(as_of, usable_data_end(transactions, as_of), source=str(transactions), max_days=max_days_past_data,
                 allow_option="")
    step = progress or (lambda _: None)
    step("reading transactions")
    data = load_until(transactions, as_of)
    client = configure(base.experiment())
    with training_run(config, base, client) as run:
        previous, _ = champion_bundle(client, "segments", base)
        step("building features and labels")
        examples = build_examples(data, config, events)
        params = tune_all(examples, config, progress=step) if tune_trials > 0 else {}
        outcome = train(data, config, previous=previous, params=params, examples=examples, progress=step)
        _, registrations = log_training_run(outcome, config, data_fingerprint(data), client, base=base,
                                                 progress=step)
    return TrainingRun(run.info.run_id, outcome, registrations)


def last_duration(base: Base) -> float | None:
    """Seconds the base's last finished training run took (None before the first)."""
    import mlflow

    configure(base.experiment())
    runs = mlflow.search_runs(experiment_names=[base.experiment()], filter_string="tags.job = 'train' and "
                              "attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"],
                              max_results=1, output_format="list")
    if not runs or runs[0].info.end_time is None:
        return None
    return (runs[0].info.end_time - runs[0].info.start_time) / 1000


@dataclass(frozen=True)
class ChampionEvaluation:
    """The champions and the baselines judged on one window, and for each task of the table
    (next_purchase, churn, clv) the registered model version judged and the training run it came from."""

    table: pd.DataFrame
    horizon_days: int
    versions: dict[str, str]
    runs: dict[str, str]

    @property
    def from_one_run(self) -> bool:
        """False when the judged champions come from different training runs."""
        return len(set(self.runs.values())) <= 1

    def labelled(self) -> pd.DataFrame:
        """The wide table (see `evaluation.wide`) with each champion row named after its version,
        e.g. `champion v3`."""
        table = wide(self.table)
        table.index = pd.MultiIndex.from_tuples(
            [(task, f"champion v{self.versions[task]}" if candidate == "model" else candidate)
             for task, candidate in table.index], names=table.index.names)
        return table


def evaluate_champions(transactions: str | Path, *, as_of: dt.date, horizon_days: int | None = None,
                       engine: str = "duckdb", base: Base = Base(),
                       events: Events | None = None) -> ChampionEvaluation:
    """Each task's own champion in `base`'s champion set and the baselines, judged on the window
    after `as_of`: the champions' figures are those of `training.predict.score`, the numbers batch
    scoring and the API serve."""
    client = configure(base.experiment())
    champions = load_champions(client, base)
    models = champions.models
    horizon = horizon_days or models.horizon_days
    if horizon != models.horizon_days:
        raise ValueError(f"the champions predict {models.horizon_days} days ahead, not {horizon}")
    path = Path(transactions)
    frame = purchasers_of(score(models, path, as_of, engine=engine, events=events, keep_features=True))
    labels = build_labels(path, as_of, horizon, engine=engine)
    labels = labels.assign(customer_id=labels["customer_id"].astype("string"))
    frame = frame.merge(labels, on="customer_id", how="left", validate="one_to_one")
    candidates = candidate_predictions(frame, horizon)
    for task, column in ((NEXT_PURCHASE, "expected_orders"), (CHURN, "churn_probability"), (CLV, "predicted_clv")):
        candidates[task.name]["model"] = frame[column].to_numpy(dtype=float)
    table = evaluation_table(frame, candidates)
    order = {"model": 0}
    table = table.sort_values(["task", "candidate"], key=lambda s: s.map(order).fillna(1) if s.name == "candidate"
                              else s, kind="stable")
    versions = {task.name: champions.versions[task.name] for task in SUPERVISED}
    runs = {task: client.get_model_version(base.model_name(task), version).run_id for task, version in versions.items()}
    return ChampionEvaluation(table.reset_index(drop=True), horizon, versions, runs)
