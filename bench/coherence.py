"""Benchmark: do one customer's predictions agree, before and after anchoring the timing curve on churn?

    .venv/bin/python bench/coherence.py                          # CDNOW as the demo trains it
    .venv/bin/python bench/coherence.py --n-cutoffs 2            # quicker, fewer stacked cutoffs

Trains on the CDNOW master log as of 1997-12-31 with a 182-day horizon (as `insight demo`, into a
throw-away MLflow store), scores every customer at the cutoff and counts, for the raw next-purchase
curve ("before": the checkpoint models as they are) and for the served scores ("after":
`training.predict.score`), the customers breaking P(30d) <= P(90d) <= 1 - churn <= expected
orders, and the next purchase dates beyond the horizon. The Brier scores of P(30d), P(90d) and
P(182d) against what happened in 1998 show what the anchoring costs or gains in calibration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.datasets import cdnow_master_path  # noqa: E402
from features.ingest import ingest, load_mapping  # noqa: E402
from features.pipeline import build_labels  # noqa: E402
from training.examples import build_examples  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.job import train  # noqa: E402
from training.coherence import score_violations, violations  # noqa: E402
from training.models.next_purchase import probability_within  # noqa: E402
from training.predict import scorable, score_frame  # noqa: E402
from training.runner import load_until  # noqa: E402

AS_OF, HORIZON = dt.date(1997, 12, 31), 182


def brier(p: np.ndarray, outcome: np.ndarray) -> float:
    return float(np.mean((p - outcome) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-cutoffs", type=int, default=6)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-coherence-"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    transactions = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), work / "cdnow").transactions_path
    config = TrainConfig(as_of=AS_OF, horizon_days=HORIZON, n_cutoffs=args.n_cutoffs)
    data = load_until(transactions, AS_OF)
    outcome = train(data, config, examples=build_examples(data, config))
    models, frame = outcome.models, outcome.scoring_frame
    frame = frame[scorable(frame)].reset_index(drop=True)

    curve = models.next_purchase.purchase_curve(frame)
    churn = models.churn.predict_proba(frame)
    raw = {d: probability_within(curve, d) for d in (30, 90, HORIZON)}
    # the raw curve's median, as scoring extrapolated it before (constant hazard past the horizon)
    grid = np.arange(1, 731)
    raw_curve = np.column_stack([probability_within(curve, int(d)) for d in grid])
    reached = raw_curve >= 0.5
    before_days = np.where(reached.any(axis=1), grid[reached.argmax(axis=1)], np.nan)
    before = violations(raw[30], raw[90], churn, models.next_purchase.expected_orders(frame), before_days, HORIZON)
    before["no next purchase date"] = int(np.isnan(before_days).sum())

    scored = score_frame(models, frame)
    after = score_violations(scored, AS_OF, HORIZON)
    after["no next purchase date"] = int(scored["expected_next_purchase_date"].isna().sum())
    before["date and next_purchase_after_horizon disagree"] = None

    labels = build_labels(transactions, AS_OF, HORIZON).set_index("customer_id").loc[frame["customer_id"]]
    bought = labels["label_next_observed"].to_numpy(bool)
    wait = labels["label_days_to_next"].to_numpy(float)
    rows = [{"check": k, "before": before[k], "after": after[k]} for k in after]
    for d, column in ((30, "p_purchase_30d"), (90, "p_purchase_90d")):
        outcome_d = (bought & (wait <= d)).astype(float)
        rows.append({"check": f"Brier P({d}d)", "before": round(brier(raw[d], outcome_d), 4),
                     "after": round(brier(scored[column].to_numpy(), outcome_d), 4)})
    outcome_h = (bought & (wait <= HORIZON)).astype(float)
    rows.append({"check": f"Brier P({HORIZON}d)", "before": round(brier(raw[HORIZON], outcome_h), 4),
                 "after": round(brier(1 - scored["churn_probability"].to_numpy(), outcome_h), 4)})
    print(f"CDNOW as of {AS_OF}, {HORIZON}-day horizon, {len(frame):,} customers; churn {outcome.choices['churn']}, "
          f"orders {outcome.choices['next_purchase']}; checkpoints {list(curve.columns)}")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
