"""The insight report of one scored base: read the inputs, compute the aggregates, write one page.

`collect` gathers every section's plain data; `write_insight_report` renders it and replaces the
output file in one rename, so a failed run leaves no half-written page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.atomic import atomic_file
from features.pipeline.channels import channel_names
from serving.insight import aggregates, context
from serving.insight.render import render
from serving.scored_base import read_scores, scored_base
from training.bases import Base, base_of_scores


@dataclass(frozen=True)
class Inputs:
    """Where the report's inputs are; only `scores` is required."""

    scores: Path
    features: Path | None = None
    previous_scores: Path | None = None
    audiences: Path | None = None
    campaigns: bool = False
    campaign_store: Path | None = None
    ingest_report: Path | None = None
    horizon_days: int | None = None
    use_registry: bool = True
    base: Base | None = None
    """The customer base (default: the one the scores' model versions name)."""


def collect(base: pd.DataFrame, *, horizon_days: int, previous: pd.DataFrame | None = None,
            audiences: dict | None = None, quality: dict | None = None, drift: dict | None = None,
            channels: list[str] | None = None) -> dict:
    """Every section's plain data for the customer table `base` (scores joined to features);
    `channels` are the sales channels' names as in the data (the models'), for the labels."""
    ranked = aggregates.value_ranks(base)
    names = channel_names(channels or [])
    return {
        "channel_names": names,
        "glance": aggregates.glance(base),
        "segments": aggregates.segments(base, previous),
        "histogram_edges": aggregates.histogram_edges(base),
        "value": aggregates.concentration(ranked),
        "matrix": aggregates.risk_value_matrix(ranked),
        "timing": aggregates.timing(base, horizon_days),
        "channels": aggregates.channels(base, names),
        "engagement": aggregates.engagement(base),
        "audiences": audiences,
        "quality": quality,
        "drift": drift or {"available": False, "features": []},
    }


def gather(inputs: Inputs) -> dict:
    """Read every input named in `inputs` and collect the report's data."""
    base = scored_base(inputs.scores, inputs.features, inputs.base)
    models = champion_models(base, inputs.base) if inputs.use_registry else None
    horizon = inputs.horizon_days or (models.horizon_days if models is not None else None)
    if horizon is None:
        raise ValueError(f"{inputs.scores}: the models that scored it are not in the registry here, so their horizon "
                         "is unknown; give --horizon-days")
    if horizon < 1:
        raise ValueError(f"--horizon-days must be at least 1, got {horizon}")
    previous = read_scores(inputs.previous_scores) if inputs.previous_scores is not None else None
    campaigns = context.campaigns(inputs.campaign_store) if inputs.campaigns or inputs.campaign_store else None
    audiences = context.audiences(inputs.audiences, campaigns) if inputs.audiences is not None else None
    quality = context.quality(inputs.ingest_report) if inputs.ingest_report is not None else None
    drift = (context.drift(base, models.reference, models.as_of) if models is not None
             else {"available": False, "features": []})
    return collect(base, horizon_days=horizon, previous=previous, audiences=audiences, quality=quality, drift=drift,
                   channels=models.channels if models is not None else None)


def champion_models(base: pd.DataFrame, customer_base: Base | None = None):
    """The registered champions of `customer_base` (default: the scores' own) if they are the
    models recorded in the scores, else None."""
    import mlflow

    from training.champions import load_champions

    recorded = aggregates.glance_versions(base)
    try:
        champions = load_champions(base=customer_base or base_of_scores(base))
    except (LookupError, OSError, mlflow.exceptions.MlflowException):
        return None
    return champions.models if champions.versions_by_name == recorded else None


def write_insight_report(inputs: Inputs, out: str | os.PathLike[str], currency: str = "$") -> Path:
    """Render the report for `inputs` into `out` (replaced atomically)."""
    page = render(gather(inputs), currency)
    with atomic_file(out) as tmp:
        tmp.write_text(page, "utf-8")
    return Path(out)
