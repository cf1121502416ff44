"""Does the uplift model find the persuadable? Simulated campaigns with heterogeneous true effects.

For each seed: a base is simulated (`insight synth`), the project's churn model is trained on it
as of the campaign cutoff (small LightGBM, no MLflow), a broad campaign (every customer with a
purchase, a random control of `--control-share`) is run with the simulator's effect (persuadables,
sure things, lost causes, sleeping dogs), and the uplift model (`training.uplift.fit_uplift`) is
fitted on 70 % of the members and judged on the other 30 %: its Qini coefficient against
targeting by churn probability, random targeting, and the true uplift (the ceiling).

    .venv/bin/python bench/uplift.py --seeds 3 17
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py
from features.pipeline import build_features, purchasers_of  # noqa: E402
from features.synth import SimulationConfig, simulate  # noqa: E402
from features.synth.campaign import CampaignEffect, observed_outcomes, potential_outcomes  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.job import train  # noqa: E402
from training.predict import score  # noqa: E402
from training.uplift import fit_uplift, holdout_mask, qini_coefficient  # noqa: E402
from models import markdown  # noqa: E402

AS_OF = dt.date(2023, 6, 30)
SMALL = {"n_estimators": 100, "num_leaves": 15, "min_child_samples": 50}


def campaign_frame(seed: int, customers: int, share: float, scale: float) -> pd.DataFrame:
    """Every member with its features, churn probability, treatment, outcome and true uplift."""
    sim = simulate(SimulationConfig(n_customers=customers, start="2022-01-01", end="2023-12-31", seed=seed))
    end = pd.Timestamp(AS_OF, tz="UTC") + pd.Timedelta(days=1)
    before = sim.transactions[sim.transactions["timestamp"] < end]
    config = TrainConfig(as_of=AS_OF, horizon_days=90, n_cutoffs=3, step_days=45, seed=seed)
    models = train(before, config, params={"churn": SMALL, "next_purchase": SMALL, "clv": SMALL}).models
    churn = purchasers_of(score(models, before, AS_OF))
    features = build_features(before, AS_OF)
    members = features["customer_id"].astype(str)
    pot = potential_outcomes(sim.transactions, sim.truth, members, end, 90, CampaignEffect(scale=scale), seed=seed)
    rng = np.random.default_rng([seed, 1])
    treated = rng.random(len(pot)) >= share
    observed = observed_outcomes(pot, treated, rng)
    frame = features.assign(customer_id=members.to_numpy()).merge(
        observed[["customer_id", "converted"]], on="customer_id", validate="one_to_one")
    frame["treated"] = treated
    frame["churn_probability"] = frame["customer_id"].map(
        churn.set_index(churn["customer_id"].astype(str))["churn_probability"]).to_numpy()
    truth = pot.set_index("customer_id")
    frame["true_uplift"] = truth["true_uplift"].reindex(frame["customer_id"]).to_numpy()
    frame["response_type"] = truth["response_type"].reindex(frame["customer_id"]).to_numpy()
    return frame


def study(seed: int, customers: int, share: float, scale: float, cache: Path | None) -> dict:
    began = time.perf_counter()
    cached = cache / f"uplift-{seed}-{customers}-{share}-{scale}.parquet" if cache else None
    if cached is not None and cached.exists():
        frame = pd.read_parquet(cached)
    else:
        frame = campaign_frame(seed, customers, share, scale)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(cached)
    truth, types = frame.pop("true_uplift"), frame.pop("response_type").value_counts(normalize=True)
    outcome = fit_uplift(frame, seed=seed)
    held = holdout_mask(frame["customer_id"], seed=seed)
    h = outcome.holdout
    oracle = qini_coefficient(h["converted"], h["treated"], truth[held].to_numpy())
    return {"seed": seed, "members": len(frame), "control share": share, "held out": outcome.counts["holdout"],
            "true lift pp": 100 * float(truth.mean()),
            "persuadable %": 100 * types.get("persuadable", 0.0), "sleeping dog %": 100 * types.get("sleeping_dog", 0.0),
            "Qini uplift": outcome.qini("uplift"), "Qini churn": outcome.qini("churn"),
            "Qini random": outcome.qini("random"), "Qini true uplift": oracle,
            "uplift - churn": outcome.qini("uplift") - outcome.qini("churn"),
            "uplift - random": outcome.qini("uplift") - outcome.qini("random"),
            "seconds": round(time.perf_counter() - began)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 17])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--control-share", type=float, default=0.5)
    parser.add_argument("--effect", type=float, default=1.0)
    parser.add_argument("--cache", type=Path, default=None,
                        help="Keep each seed's simulated campaign here and reuse it on the next run.")
    args = parser.parse_args()
    rows = [study(seed, args.customers, args.control_share, args.effect, args.cache) for seed in args.seeds]
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
