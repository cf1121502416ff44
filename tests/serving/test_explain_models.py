"""Every servable churn and CLV model explains itself: /explain's answer (`explain_ids`) has a
finite contribution for every reason, whether the champion is LightGBM, a blend or a BTYD model."""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import replace

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.pipeline import load_latest_snapshot
from serving.realtime import explain_ids
from serving.state import prepare
from training import attribution
from training.champions import load_champions
from training.job import CustomerModels
from training.config import TrainConfig
from training.examples import build_examples
from training.models.churn import METHODS as CHURN_METHODS
from training.models.churn import ChurnModel
from training.models.clv import ClvModel
from training.models.gbm import offset_link
from workspace import AS_OF, SMALL, Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(workspace: Workspace) -> tuple[CustomerModels, pd.DataFrame, dt.date]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", workspace.tracking_uri)
        champions = load_champions()
        mlflow.set_tracking_uri(None)
    snapshot, as_of = load_latest_snapshot(workspace.snapshots)
    return with_trees(champions.models, workspace), snapshot, as_of


def with_trees(models: CustomerModels, workspace: Workspace) -> CustomerModels:
    """The champions with churn and CLV refitted as LightGBM on the workspace's own examples, so that
    every method (a blend or LightGBM needs the trees, a baseline ignores them) can be switched to."""
    config = TrainConfig(as_of=AS_OF, horizon_days=models.horizon_days, n_cutoffs=1, step_days=45)
    full = build_examples(workspace.transactions, config).full
    churn = ChurnModel(method="gbm", params=SMALL, random_state=config.seed).fit(full, full)
    clv = ClvModel(method="gbm", params=SMALL, random_state=config.seed).fit(full, full)
    return replace(models, churn=churn, clv=clv)


def with_methods(models: CustomerModels, churn: str, clv: str) -> CustomerModels:
    """The champions with their churn and CLV models switched to other methods."""
    churn_model, clv_model = copy.copy(models.churn), copy.copy(models.clv)
    churn_model.method, clv_model.method = churn, clv
    return replace(models, churn=churn_model, clv=clv_model)




SERVABLE = [("gbm", "gbm"), ("gbm_pnbd", "baseline"), ("bgnbd", "gbm"), ("pnbd", "baseline")]
"""Every churn method and both CLV methods, in four champion sets."""


def test_the_cases_cover_every_method() -> None:
    assert {churn for churn, _ in SERVABLE} == set(CHURN_METHODS)
    assert {clv for _, clv in SERVABLE} == {"gbm", "baseline"}


@pytest.mark.parametrize(("churn", "clv"), SERVABLE)
def test_every_reason_of_every_model_has_a_contribution(served, churn: str, clv: str) -> None:
    models, snapshot, as_of = served
    ids = [str(i) for i in snapshot.index[:20]]
    answer = explain_ids(prepare(with_methods(models, churn, clv), {}, snapshot, as_of, "test"), ids, top=3)
    explained = [c for c in answer.customers if c.status in ("ok", "no_paid_orders")]
    assert len(explained) >= 18
    texts = set()
    for customer in explained:
        for task in ("churn", "clv"):
            reasons = getattr(customer, task)
            assert len(reasons) == 3
            assert all(r.contribution is not None and math.isfinite(r.contribution) for r in reasons), (churn, clv)
            texts.add(tuple(r.text for r in reasons))
    assert len(texts) > len(explained)  # reasons differ between customers, not one list for all


def test_a_blend_explains_its_parts_weighted(served) -> None:
    """gbm_pnbd: half the model's SHAP values, plus the Pareto/NBD part as one reason; together they
    add up to the log-odds average of the two parts less the model's starting point."""
    models, snapshot, _ = served
    frame = snapshot.reset_index().iloc[:200]
    frame = frame[frame["status"].eq("scored").to_numpy()] if "status" in frame else frame
    blend = with_methods(models, "gbm_pnbd", "gbm")
    parts = blend.churn.contributions(frame)
    shap = models.churn.model_.contributions(frame)
    model_logit = models.churn.model_.raw_score(frame)
    pnbd_logit = offset_link(1.0 - frame["pnbd_p_purchase"].to_numpy(), "binary")
    pooled = 0.5 * model_logit + 0.5 * pnbd_logit
    assert parts.sum(axis=1).to_numpy() == pytest.approx(pooled, abs=1e-6)
    others = [c for c in shap.columns if c not in ("baseline", "pnbd_p_purchase")]
    assert parts[others].to_numpy() == pytest.approx(0.5 * shap[others].to_numpy())


def test_a_btyd_model_s_contributions_are_shapley_values_against_the_median_customer(served) -> None:
    """Efficiency: the three inputs' contributions add up to the customer's BG/NBD churn log-odds
    less the median training customer's."""
    models, snapshot, _ = served
    frame = snapshot.reset_index().iloc[:100]
    frame = frame[frame["status"].eq("scored").to_numpy()] if "status" in frame else frame
    bgnbd = with_methods(models, "bgnbd", "baseline")
    contrib = attribution.contributions(bgnbd, frame, "churn")
    assert list(contrib.columns) == ["btyd_frequency", "btyd_recency", "btyd_T"]
    own = offset_link(1.0 - models.baselines.transform(frame)["bgnbd_p_purchase"].to_numpy(), "binary")
    centre = {c: models.reference.centre[c] for c in ("btyd_frequency", "btyd_recency", "btyd_T", "btyd_monetary")}
    reference = pd.DataFrame([centre])
    reference["btyd_recency"] = np.minimum(reference["btyd_recency"], reference["btyd_T"])
    if centre["btyd_frequency"] == 0:
        reference[["btyd_recency", "btyd_monetary"]] = 0.0
    typical = offset_link(1.0 - models.baselines.transform(reference)["bgnbd_p_purchase"].to_numpy(), "binary")
    assert contrib.sum(axis=1).to_numpy() == pytest.approx(own - typical[0], abs=1e-8)
    assert np.isfinite(contrib.to_numpy()).all()
