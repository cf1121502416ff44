"""The simulator's campaigns: heterogeneous true effects, and the report recovering them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.synth import SimulationConfig, simulate
from features.synth.campaign import CampaignEffect, observed_outcomes, potential_outcomes, run_campaign
from serving.campaigns.report import measure
from serving.campaigns.split import split_control

START = "2023-10-01"


@pytest.fixture(scope="module")
def base():
    sim = simulate(SimulationConfig(n_customers=3000, start="2022-01-01", end="2023-12-31", seed=8))
    before = sim.transactions[sim.transactions["timestamp"] < pd.Timestamp(START, tz="UTC")]
    members = pd.Series(before["customer_id"].astype(str).unique())
    return sim, members


def test_true_effects_are_heterogeneous_and_follow_the_types(base) -> None:
    sim, members = base
    pot = potential_outcomes(sim.transactions, sim.truth, members, START, 90, seed=1)
    assert set(pot["response_type"]) == {"persuadable", "sure_thing", "lost_cause", "sleeping_dog"}
    by_type = pot.groupby("response_type")["true_uplift"]
    assert by_type.min()["persuadable"] > 0 and by_type.max()["lost_cause"] < 0.02
    assert (pot.loc[pot["response_type"] == "sure_thing", "true_uplift"] <= 0).all()
    assert by_type.max()["sleeping_dog"] <= 0 and by_type.min()["sleeping_dog"] < 0
    assert 0.005 < pot["true_uplift"].mean() < 0.05, "a broad campaign lifts conversion by a few points"
    churned_long_ago = sim.truth.set_index("customer_id").loc[pot["customer_id"], "churn_date"] < \
        pd.Timestamp(START, tz="UTC") - pd.Timedelta(days=200)
    assert (pot.loc[churned_long_ago.to_numpy(), "true_uplift"] == 0).all()
    none = potential_outcomes(sim.transactions, sim.truth, members, START, 90, CampaignEffect(scale=0), seed=1)
    assert (none["true_uplift"] == 0).all()


def test_run_campaign_changes_only_treated_customers_after_the_start(base) -> None:
    sim, members = base
    split = split_control(pd.DataFrame({"customer_id": members}), "synth-test", 0.3)
    run = run_campaign(sim.transactions, sim.truth, split, START, 90, seed=2)
    start = pd.Timestamp(START, tz="UTC")
    old, new = sim.transactions, run.transactions
    assert new[new["timestamp"] < start].shape[0] == old[old["timestamp"] < start].shape[0]
    control = set(split.loc[split["group"] == "control", "customer_id"])
    assert len(new[new["customer_id"].isin(control)]) == len(old[old["customer_id"].isin(control)])
    extra = new[new["order_id"].str.startswith("K")]
    assert len(extra) == run.truth["extra_orders"].sum() > 0
    assert set(extra["customer_id"]) <= set(split.loc[split["group"] == "treated", "customer_id"])
    assert extra["timestamp"].between(start, start + pd.Timedelta(days=90)).all() and (extra["amount"] > 0).all()
    stopped = run.truth.loc[run.truth["stopped"], "customer_id"]
    assert not new[new["customer_id"].isin(set(stopped)) & (new["timestamp"] >= start)
                   & ~new["order_id"].str.startswith("K")].shape[0]


@pytest.mark.parametrize("scale", [1.0, 0.0])
def test_report_recovers_the_true_lift_in_repeated_campaigns(base, scale) -> None:
    """20 seeded repetitions here; bench/campaign_lift.py runs the full 100 (bench/README.md)."""
    sim, members = base
    pot = potential_outcomes(sim.transactions, sim.truth, members, START, 90, CampaignEffect(scale=scale), seed=3)
    truth = pot["true_uplift"].mean()
    covered = quiet = 0
    for rep in range(20):
        split = split_control(pd.DataFrame({"customer_id": pot["customer_id"]}), f"rep-{rep}", 0.3)
        outcome = measure(observed_outcomes(pot, (split["group"] == "treated").to_numpy(), np.random.default_rng(rep)))
        conversion = outcome["metrics"][0]
        covered += conversion["ci_low"] <= truth <= conversion["ci_high"]
        quiet += outcome["verdict"].startswith("no detectable effect")
    assert covered >= 17
    if scale == 0:
        assert quiet >= 17
