"""Does a campaign report recover the true lift? Repeated seeded campaigns on a simulated base.

The base is simulated once and each customer's outcomes with and without the campaign are
precomputed (`features.synth.campaign.potential_outcomes`); each repetition draws a new control
split (a new campaign id) and a new treatment draw, and measures it with the report's own
statistics. Prints, per scenario, how often the 95 % interval covers the true lift and how often
the verdict is "no detectable effect".

    .venv/bin/python bench/campaign_lift.py --repetitions 100
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py
from features.synth import SimulationConfig, simulate  # noqa: E402
from features.synth.campaign import CampaignEffect, observed_outcomes, potential_outcomes  # noqa: E402
from serving.campaigns.report import measure  # noqa: E402
from serving.campaigns.split import split_control  # noqa: E402
from models import markdown  # noqa: E402

START = "2023-10-01"


def study(seed: int, customers: int, audience: int, share: float, scale: float, repetitions: int) -> dict:
    sim = simulate(SimulationConfig(n_customers=customers, start="2022-01-01", end="2023-12-31", seed=seed))
    before = sim.transactions[sim.transactions["timestamp"] < pd.Timestamp(START, tz="UTC")]
    members = pd.Series(before["customer_id"].astype(str).unique()[:audience])
    pot = potential_outcomes(sim.transactions, sim.truth, members, START, 90, CampaignEffect(scale=scale), seed=seed)
    truth = float(pot["true_uplift"].mean())
    estimates, widths, covered, quiet, detectable = [], [], 0, 0, []
    for rep in range(repetitions):
        split = split_control(pd.DataFrame({"customer_id": pot["customer_id"]}), f"bench-{seed}-{rep}", share)
        report = measure(observed_outcomes(pot, (split["group"] == "treated").to_numpy(),
                                           np.random.default_rng([seed, rep])))
        conversion = report["metrics"][0]
        estimates.append(conversion["abs_lift"])
        widths.append(conversion["ci_high"] - conversion["ci_low"])
        covered += conversion["ci_low"] <= truth <= conversion["ci_high"]
        quiet += report["verdict"].startswith("no detectable effect")
        detectable.append(report["detectable_lift"])
    return {"seed": seed, "audience": len(pot), "control share": share, "effect scale": scale,
            "true lift pp": 100 * truth, "mean estimate pp": 100 * float(np.mean(estimates)),
            "mean CI width pp": 100 * float(np.mean(widths)), "MDE pp": 100 * float(np.mean(detectable)),
            f"covered /{repetitions}": covered, f"'no detectable' /{repetitions}": quiet}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--customers", type=int, default=6000)
    parser.add_argument("--audience", type=int, default=4000)
    args = parser.parse_args()
    rows = [study(seed, args.customers, args.audience, share, scale, args.repetitions)
            for seed, share, scale in ((5, 0.2, 1.0), (5, 0.2, 0.0), (9, 0.1, 1.0), (9, 0.1, 0.0), (9, 0.5, 2.0))]
    table = pd.DataFrame(rows)
    print(markdown(table))


if __name__ == "__main__":
    main()
