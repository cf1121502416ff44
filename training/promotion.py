"""The promotion gate: is this run's set of four models better than the champion set?

Challenger and champion are compared only on data neither was fitted on. The challenger's figure
is the validation table's figure of its chosen candidate (fitted on the training examples, scored
on the validation block); the refit on every example, which includes that block, is never scored
on it. The champion is scored on the same validation block when its own training data ended
before the block's cutoff; otherwise it has seen that window, and its own validation figure
(recorded when it was trained) stands in. Segments are compared by silhouette on the validation
block's customers.

The four models of a base are promoted together or not at all: the set is promoted when no model
is worse than its best baseline, none is worse than its champion by more than TOLERANCE, and at
least one is better (or when there is no comparable champion set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.evaluation import score_task, segment_silhouette
from training.job import CustomerModels, TrainingOutcome
from training.tasks import CHURN, NEXT_PURCHASE, SEGMENTS, TASKS

TOLERANCE = 0.005
"""A model may be this share of its champion's figure worse and still move with a better set."""


@dataclass(frozen=True)
class Comparison:
    """One task's challenger and champion figures on the same unseen data."""

    task: str
    metric: str
    score: float
    champion: float | None
    baseline: float | None
    how: str
    """Where the champion's figure comes from, in words."""

    @property
    def higher_better(self) -> bool:
        return TASKS[self.task].higher_is_better

    def margin(self, than: float) -> float:
        """How much better `score` is than `than` (positive: better), in the metric's units."""
        return (self.score - than) if self.higher_better else (than - self.score)

    def worse_than_baseline(self) -> bool:
        return self.baseline is not None and np.isfinite(self.baseline) and self.margin(self.baseline) < 0

    def verdict(self) -> str:
        """better, tied, within (worse but inside TOLERANCE) or worse than the champion; none without one."""
        if self.champion is None or not np.isfinite(self.champion):
            return "none"
        margin = self.margin(self.champion)
        if margin > 0:
            return "better"
        if margin == 0:
            return "tied"
        return "within" if -margin <= TOLERANCE * abs(self.champion) else "worse"

    def describe(self) -> str:
        text = f"{self.metric} {self.score:.4f} on the validation block"
        if self.worse_than_baseline():
            return f"{text} is worse than the best baseline's {self.baseline:.4f}"
        if self.champion is None:
            return f"{text}; {self.how}"
        words = {"better": "beats", "tied": "ties", "within": "is within tolerance of",
                 "worse": "is worse than", "none": "cannot be compared with"}[self.verdict()]
        return f"{text} {words} the champion's {self.champion:.4f} ({self.how})"


@dataclass(frozen=True)
class SetDecision:
    promote: bool
    reason: str
    comparisons: dict[str, Comparison]


def challenger_score(outcome: TrainingOutcome, task: str) -> float:
    """The validation table's figure of the chosen candidate (segments: silhouette on the block)."""
    if task == SEGMENTS.name:
        return segment_silhouette(outcome.models.segments, outcome.valid_frame)
    table = outcome.validation
    rows = table[(table.task == task) & (table.candidate == outcome.choices[task])
                 & (table.metric == TASKS[task].metric)]["value"]
    return float(rows.iloc[0]) if len(rows) else float("nan")


def best_baseline(outcome: TrainingOutcome, task: str) -> float | None:
    if task == SEGMENTS.name:
        return None
    metric, direction = TASKS[task].metric, TASKS[task].direction
    table = outcome.validation
    rows = table[(table.task == task) & (table.metric == metric)
                 & ~table.candidate.isin(["gbm", "heuristic"])]["value"].dropna()
    if rows.empty:
        return None
    return float(rows.min() if direction == "min" else rows.max())


def score_on(task: str, models: CustomerModels, frame: pd.DataFrame) -> float:
    """One model's selection metric on `frame` (segments: silhouette)."""
    if task == SEGMENTS.name:
        return segment_silhouette(models.segments, frame)
    if task == NEXT_PURCHASE.name:
        predicted = models.next_purchase.expected_orders(frame)
    elif task == CHURN.name:
        predicted = models.churn.predict_proba(frame)
    else:
        predicted = models.clv.predict(frame)
    return float(score_task(task, frame, predicted, probability=False)[TASKS[task].metric])


def champion_score(task: str, champion: CustomerModels, recorded: float | None,
                   outcome: TrainingOutcome) -> tuple[float | None, str]:
    """The champion's figure on data it was not fitted on, and where it comes from."""
    valid = outcome.valid_frame
    if champion.horizon_days != outcome.models.horizon_days:
        return None, (f"the champion set predicts {champion.horizon_days} days ahead, this run "
                      f"{outcome.models.horizon_days}: the new set replaces it")
    block = pd.Timestamp(valid["as_of"].min()).date()
    if pd.Timestamp(champion.as_of).date() <= block:
        try:
            return score_on(task, champion, valid), "champion scored on the same block"
        except (ValueError, KeyError) as exc:
            return None, f"the champion cannot score this block ({exc}): the new set replaces it"
    if recorded is not None:
        return recorded, "the champion was trained on this window; its own validation figure"
    return None, "the champion was trained on this window and recorded no validation figure"


def decide(comparisons: dict[str, Comparison]) -> SetDecision:
    """Promote the four together, or none of them; the reason names the deciding tasks."""
    below = [c.task for c in comparisons.values() if c.worse_than_baseline()]
    if below:
        return SetDecision(False, f"kept out: {', '.join(below)} worse than the best baseline", comparisons)
    verdicts = {task: c.verdict() for task, c in comparisons.items()}
    if all(v == "none" for v in verdicts.values()):
        return SetDecision(True, "promoted: no comparable champion set", comparisons)
    worse = [t for t, v in verdicts.items() if v == "worse"]
    better = [t for t, v in verdicts.items() if v in ("better", "none")]
    if worse:
        return SetDecision(False, f"kept out: {', '.join(worse)} worse than the champion", comparisons)
    if not better:
        return SetDecision(False, "kept out: no model beats its champion", comparisons)
    return SetDecision(True, f"promoted: {', '.join(better)} better, none worse than the champion beyond "
                             f"{TOLERANCE:.1%}", comparisons)
