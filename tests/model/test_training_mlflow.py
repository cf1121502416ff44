"""The training job through MLflow on a small simulated base: registration, promotion, stability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.synth import SimulationConfig, simulate
from features.pipeline import build_labels, purchasers_of
from training import metrics
from training.config import MODEL_NAMES, TrainConfig
from training.examples import build_examples
from training.job import TrainingOutcome, train
from training.models.clv import ClvModel
from training.predict import SCORE_COLUMNS, score, scoring_frame
from training.runner import evaluate_champions
from training.tracking import Registration, champion_bundle, configure, data_fingerprint, log_training_run

pytestmark = pytest.mark.slow

SMALL = {"n_estimators": 40, "num_leaves": 15, "min_child_samples": 20}
WORSE = {"n_estimators": 1, "num_leaves": 2, "learning_rate": 0.001, "min_child_samples": 1000}


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return simulate(SimulationConfig(n_customers=1500, start="2022-01-01", end="2023-12-31", seed=7)).transactions


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    return TrainConfig(as_of=dt.date(2023, 9, 30), horizon_days=90, n_cutoffs=3, step_days=45)


@pytest.fixture(scope="module")
def examples(base: pd.DataFrame, config: TrainConfig):
    return build_examples(base, config)


@pytest.fixture(scope="module")
def registry(base, examples, config, tmp_path_factory):
    """A store with two runs: good models (all champions, v1), then worse ones (challengers, v2), whose
    CLV model is a one-tree LightGBM, so it predicts unlike the first run's whichever that chose."""
    root = tmp_path_factory.mktemp("registry")
    base.to_parquet(root / "transactions.parquet", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        patch.chdir(root)
        client = configure()
        params = {"churn": SMALL, "orders": SMALL, "clv": SMALL}
        first = train(base, config, params=params, examples=examples)
        run_id, registrations = log_training_run(first, config, data_fingerprint(base), client)
        worse = train(base, config, params={"churn": WORSE, "orders": WORSE, "clv": WORSE}, examples=examples,
                      previous=first.models)
        full = examples.full
        clv = ClvModel(method="gbm", params=WORSE, random_state=config.seed).fit(full, full["label_spend"])
        worse = replace(worse, models=replace(worse.models, clv=clv))
        _, second = log_training_run(worse, config, data_fingerprint(base), client)
        yield Registry(root, client, first, worse, run_id, registrations, second)


@dataclass(frozen=True)
class Registry:
    root: Path
    client: mlflow.MlflowClient
    first: TrainingOutcome
    worse: TrainingOutcome
    first_run_id: str
    registrations: list[Registration]
    second: list[Registration]


@pytest.fixture()
def tracking(registry: Registry, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry.root / 'mlflow.db'}")
    monkeypatch.chdir(registry.root)
    return configure()


def test_examples_are_out_of_time_and_end_by_as_of(examples, config: TrainConfig) -> None:
    assert examples.scheme == "out_of_time"
    last_label_end = examples.full["as_of"].max() + pd.Timedelta(days=config.horizon_days)
    assert last_label_end <= pd.Timestamp(config.as_of)
    assert examples.train["as_of"].max() + pd.Timedelta(days=config.horizon_days) <= examples.valid["as_of"].min()


def test_examples_include_the_predicted_window_a_year_earlier(examples, config: TrainConfig) -> None:
    """The Oct-Dec window predicted from 2023-09-30 is learned from Oct-Dec 2022 as well, though the
    recent cutoffs (every 45 days back from 2023-07-02) never reach a festive window."""
    year_ago = pd.Timestamp(config.as_of - dt.timedelta(days=364))
    full_cutoffs = sorted(examples.full["as_of"].unique())
    assert full_cutoffs[0] == year_ago and len(full_cutoffs) == config.n_cutoffs + 1
    seasonal = examples.full[examples.full["as_of"] == year_ago]
    predicted = examples.scoring["cal_nov_dec_share"].iloc[0]
    assert predicted > 0.6 and seasonal["cal_nov_dec_share"].iloc[0] == pytest.approx(predicted, abs=0.02)
    assert examples.full.loc[examples.full["as_of"] > year_ago, "cal_nov_dec_share"].max() == 0
    validation_year_ago = examples.valid["as_of"].iloc[0] - pd.Timedelta(days=364)
    assert validation_year_ago in set(examples.train["as_of"])
    assert f"with the same window a year earlier (cutoff {validation_year_ago.date()})" in examples.description


def test_run_registers_four_champions_then_keeps_a_worse_model_out(base, examples, registry, tracking) -> None:
    registrations, run_id = registry.registrations, registry.first_run_id
    assert {r.name for r in registrations} == set(MODEL_NAMES.values())
    assert all(r.alias == "champion" for r in registrations), [r.reason for r in registrations]
    run = tracking.get_run(run_id)
    assert run.data.params["data_rows"] == str(len(base))
    assert any(k.startswith("churn.gbm.roc_auc") for k in run.data.metrics)
    assert any(k.startswith("churn.gbm_pnbd.roc_auc") for k in run.data.metrics)
    artifacts = {a.path for a in tracking.list_artifacts(run_id, "plots")}
    assert "plots/churn_gains.png" in artifacts and "plots/segments.png" in artifacts

    by_task = {r.task: r for r in registry.second}
    assert by_task["churn"].alias == "challenger", by_task["churn"].reason
    assert "does not beat" in by_task["churn"].reason or "worse than" in by_task["churn"].reason
    first_churn = next(r for r in registrations if r.task == "churn")
    assert str(tracking.get_model_version_by_alias(MODEL_NAMES["churn"], "champion").version) == first_churn.version

    models, _ = champion_bundle(tracking, "churn")
    scored = score(models, examples.scoring)
    assert list(scored.columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    assert scored["churn_probability"].between(0, 1).all()
    assert (scored["p_purchase_30d"] <= scored["p_purchase_90d"] + 1e-12).all()
    loaded = mlflow.pyfunc.load_model(f"models:/{MODEL_NAMES['clv']}@champion")
    sample = examples.scoring.drop(columns=[c for c in examples.scoring.columns if c.startswith(("bgnbd_", "pnbd_", "gg_"))])
    out = loaded.predict(sample.head(5))
    assert list(out.columns) == ["customer_id", "predicted_clv"] and (out["predicted_clv"] >= 0).all()


def test_evaluate_judges_each_tasks_own_champion(base, config, registry, tracking) -> None:
    """A CLV challenger promoted over the older churn champion: evaluate judges CLV v2 and churn v1
    (what batch scoring and the API serve), not the churn champion's run bundle, and says so."""
    name = MODEL_NAMES["clv"]
    clv_v2 = next(r.version for r in registry.second if r.task == "clv")
    tracking.set_registered_model_alias(name, "champion", clv_v2)
    try:
        result = evaluate_champions(registry.root / "transactions.parquet", as_of=config.as_of)
    finally:
        first_clv = next(r.version for r in registry.registrations if r.task == "clv")
        tracking.set_registered_model_alias(name, "champion", first_clv)
    assert result.versions == {"churn": "1", "orders": "1", "clv": clv_v2} and clv_v2 == "2"
    assert not result.from_one_run

    frame = purchasers_of(scoring_frame(base, registry.first.models, config.as_of))
    labels = build_labels(base, config.as_of, config.horizon_days)
    frame = frame.merge(labels, on="customer_id", validate="one_to_one")
    new_clv, old_clv = registry.worse.models.clv.predict(frame), registry.first.models.clv.predict(frame)
    assert not np.allclose(new_clv, old_clv)  # the two versions can be told apart
    spend = np.clip(frame["label_spend"].to_numpy(dtype=float), 0, None)
    judged = result.table.set_index(["task", "candidate", "metric"])["value"]
    assert judged[("clv", "model", "gini")] == pytest.approx(metrics.normalized_gini(spend, new_clv), abs=1e-12)
    assert judged[("clv", "model", "gini")] != pytest.approx(metrics.normalized_gini(spend, old_clv), abs=1e-6)
    churned = frame["label_churned"].to_numpy(dtype=float)
    churn_auc = metrics.roc_auc(churned, registry.first.models.churn.predict_proba(frame))
    assert judged[("churn", "model", "roc_auc")] == pytest.approx(churn_auc, abs=1e-12)
    labelled = result.labelled().index
    assert ("clv", "champion v2") in labelled and ("churn", "champion v1") in labelled


def test_retraining_on_same_data_keeps_segment_ids(base, examples, config, registry) -> None:
    params = {"churn": SMALL, "orders": SMALL, "clv": SMALL}
    first = registry.first
    second = train(base, config, params=params, examples=examples, previous=first.models)
    a = first.models.segments.predict(examples.scoring)
    b = second.models.segments.predict(examples.scoring)
    assert np.array_equal(a, b)
    assert first.models.segments.names_ == second.models.segments.names_
