"""The training job through MLflow on a small simulated base: registration, promotion, stability."""

from __future__ import annotations

import dataclasses
import datetime as dt

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.pipeline import build_labels, purchasers_of
from features.synth import SimulationConfig, simulate
from training import metrics
from training.bases import Base
from training.champions import current_set
from training.config import TrainConfig
from training.examples import build_examples
from training.job import train
from training.predict import SCORE_COLUMNS, score_frame, scoring_frame
from training.models.clv import ClvModel
from training.override import promote
from training.tasks import MODEL_NAMES, TASKS
from training.runner import evaluate_champions
from training.tracking import champion_bundle, configure, data_fingerprint, log_training_run

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
def tracking(tmp_path_factory):
    root = tmp_path_factory.mktemp("registry")
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    patch.chdir(root)
    yield configure()
    patch.undo()


@pytest.fixture(scope="module")
def first(base, examples, config, tracking):
    """The first run of the module's registry: small LightGBM models, promoted as the champion set."""
    outcome = train(base, config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL}, examples=examples)
    run_id, registrations = log_training_run(outcome, config, data_fingerprint(base), tracking)
    return outcome, run_id, registrations


def chosen_figure(outcome, task: str) -> float:
    """The validation table's figure of the candidate the run chose, on the task's selection metric."""
    table = outcome.validation
    row = table[(table.task == task) & (table.candidate == outcome.choices[task]) & (table.metric == TASKS[task].metric)]
    return float(row["value"].iloc[0])


def shuffled_labels(examples, seed: int):
    """A copy of `examples` whose label columns are permuted across customers, the same way in the
    full frame and in the validation block inside it (the training block on its own)."""
    labels = [c for c in examples.full.columns if c.startswith("label_")]
    rng = np.random.default_rng(seed)

    def permute(frame):
        out = frame.copy()
        out[labels] = frame[labels].to_numpy()[rng.permutation(len(frame))]
        return out

    full = permute(examples.full)
    key = ["customer_id", "as_of"]
    valid = examples.valid.drop(columns=labels).merge(full[key + labels], on=key, how="left", validate="one_to_one")
    return dataclasses.replace(examples, train=permute(examples.train), full=full, valid=valid)


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


def test_run_registers_four_champions_then_keeps_a_worse_model_out(base, examples, config, tracking, first) -> None:
    first, run_id, registrations = first
    assert {r.name for r in registrations} == set(MODEL_NAMES.values())
    assert all(r.alias == "champion" for r in registrations), [r.reason for r in registrations]
    run = tracking.get_run(run_id)
    assert run.data.params["data_rows"] == str(len(base))
    assert any(k.startswith("churn.gbm.roc_auc") for k in run.data.metrics)
    assert any(k.startswith("churn.gbm_pnbd.roc_auc") for k in run.data.metrics)
    artifacts = {a.path for a in tracking.list_artifacts(run_id, "plots")}
    assert "plots/churn_gains.png" in artifacts and "plots/segments.png" in artifacts

    worse = train(base, config, params={"churn": WORSE, "next_purchase": WORSE, "clv": WORSE}, examples=examples,
                  previous=first.models)
    _, second = log_training_run(worse, config, data_fingerprint(base), tracking)
    by_task = {r.task: r for r in second}
    assert by_task["churn"].alias == "challenger", by_task["churn"].reason
    assert {r.alias for r in second} == {"challenger"}, [r.reason for r in second]
    assert "kept out" in by_task["churn"].reason
    first_churn = next(r for r in registrations if r.task == "churn")
    assert str(tracking.get_model_version_by_alias(MODEL_NAMES["churn"], "champion").version) == first_churn.version

    models, _ = champion_bundle(tracking, "churn")
    scored = score_frame(models, examples.scoring)
    assert list(scored.columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    assert scored["churn_probability"].between(0, 1).all()
    assert (scored["p_purchase_30d"] <= scored["p_purchase_90d"] + 1e-12).all()
    loaded = mlflow.pyfunc.load_model(f"models:/{MODEL_NAMES['clv']}@champion")
    sample = examples.scoring.drop(columns=[c for c in examples.scoring.columns if c.startswith(("bgnbd_", "pnbd_", "gg_"))])
    out = loaded.predict(sample.head(5))
    assert list(out.columns) == ["customer_id", "predicted_clv"] and (out["predicted_clv"] >= 0).all()


def test_retraining_on_same_data_keeps_segment_ids(base, examples, config) -> None:
    params = {"churn": SMALL, "next_purchase": SMALL, "clv": SMALL}
    first = train(base, config, params=params, examples=examples)
    second = train(base, config, params=params, examples=examples, previous=first.models)
    a = first.models.segments.predict(examples.scoring)
    b = second.models.segments.predict(examples.scoring)
    assert np.array_equal(a, b)
    assert first.models.segments.names_ == second.models.segments.names_


def test_promotion_compares_on_the_validation_block_only(base, examples, config, tracking, first) -> None:
    """The promotion figure of a run is its validation table's figure for the chosen candidate, and a
    challenger fitted on shuffled labels (which its refit on every example memorises, validation
    block included) never replaces the champion set."""
    outcome, _, registrations = first
    for reg in registrations:
        if reg.task != "segments":
            assert reg.score == chosen_figure(outcome, reg.task), reg
    champion_set = current_set(tracking, Base())
    for seed in (1, 2):
        noise = train(base, config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL},
                      examples=shuffled_labels(examples, seed), previous=outcome.models)
        _, challengers = log_training_run(noise, config, data_fingerprint(base), tracking)
        assert {r.alias for r in challengers} == {"challenger"}, [r.reason for r in challengers]
        churn = next(r for r in challengers if r.task == "churn")
        assert churn.score == chosen_figure(noise, "churn") < 0.6 < churn.champion_score
        assert current_set(tracking, Base()).versions == champion_set.versions


def test_evaluate_judges_each_tasks_own_champion(base, examples, config, tracking, first, tmp_path) -> None:
    """A CLV challenger promoted over the older churn champion: `insight evaluate` judges that CLV
    version and the churn champion (what batch scoring and the API serve), not the churn champion's
    run bundle, and names the versions."""
    outcome, _, registrations = first
    clv = ClvModel(method="gbm", params=WORSE, random_state=config.seed).fit(examples.full, examples.full)
    challenger = dataclasses.replace(outcome, models=dataclasses.replace(outcome.models, clv=clv))
    _, logged = log_training_run(challenger, config, data_fingerprint(base), tracking)
    clv_version = next(r.version for r in logged if r.task == "clv")
    before = current_set(tracking, Base())
    promote(tracking, Base(), {"clv": clv_version}, reason="test: a CLV challenger over the older churn champion")
    try:
        transactions = tmp_path / "transactions.parquet"
        base.to_parquet(transactions, index=False)
        result = evaluate_champions(transactions, as_of=config.as_of)
    finally:
        promote(tracking, Base(), before.versions, reason="test: restore the champion set")
    churn_version = next(r.version for r in registrations if r.task == "churn")
    assert result.versions == {"churn": churn_version, "next_purchase": before.versions["next_purchase"],
                               "clv": clv_version}
    assert clv_version != before.versions["clv"] and not result.from_one_run

    frame = purchasers_of(scoring_frame(base, outcome.models, config.as_of))
    frame = frame.merge(build_labels(base, config.as_of, config.horizon_days), on="customer_id", validate="one_to_one")
    new_clv, old_clv = clv.predict(frame), outcome.models.clv.predict(frame)
    assert not np.allclose(new_clv, old_clv)  # the two versions can be told apart
    spend = np.clip(frame["label_spend"].to_numpy(dtype=float), 0, None)
    judged = result.table.set_index(["task", "candidate", "metric"])["value"]
    assert judged[("clv", "model", "gini")] == pytest.approx(metrics.normalized_gini(spend, new_clv), abs=1e-12)
    assert judged[("clv", "model", "gini")] != pytest.approx(metrics.normalized_gini(spend, old_clv), abs=1e-6)
    churned = frame["label_churned"].to_numpy(dtype=float)
    churn_auc = metrics.roc_auc(churned, outcome.models.churn.predict_proba(frame))
    assert judged[("churn", "model", "roc_auc")] == pytest.approx(churn_auc, abs=1e-12)
    labelled = result.labelled().index
    assert ("clv", f"champion v{clv_version}") in labelled and ("churn", f"champion v{churn_version}") in labelled
