"""Training examples for one run: stacked snapshots, the validation scheme, and baselines.

Out of time when the history allows it: models for validation learn from label windows that end
by the validation cutoff (as_of - horizon) and are judged on that cutoff's window, which ends at
as_of. Otherwise (a history shorter than two horizons, like CDNOW) they are judged on held-out
customers across the same snapshots, and the run says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

from features.pipeline import (
    build_scoring_frame,
    build_training_frame,
    channels_seen,
    purchasers_of,
    training_cutoffs,
)
from features.engine import resolve_backend
from features.pipeline.source import Events, Transactions, transactions_table
from training.baselines import MIN_REPEAT_CUSTOMERS, Baselines, repeat_customers, with_baselines
from training.config import TrainConfig


@dataclass(frozen=True)
class Examples:
    """Frames of one training run, each with baseline columns, and the channel names (as in the
    data) their channel columns stand for."""

    train: pd.DataFrame
    valid: pd.DataFrame
    full: pd.DataFrame
    scoring: pd.DataFrame
    final_baselines: Baselines
    scheme: str
    description: str
    channels: tuple[str, ...]


def history_start(transactions: Transactions, engine: str = "duckdb") -> dt.date:
    """The first day with a transaction."""
    backend = resolve_backend(engine, None)
    table = transactions_table(backend, transactions)
    first = backend.execute(table.timestamp.min())
    if first is None or pd.isna(first):
        raise ValueError("the transaction table is empty")
    return pd.Timestamp(first).date()


def usable_cutoffs(final: dt.date, config: TrainConfig, start: dt.date) -> list[dt.date]:
    """The stacked cutoffs before `final` (recent and seasonal) with at least min_history_days of data."""
    cutoffs = training_cutoffs(final, config.horizon_days, n_cutoffs=config.n_cutoffs, step_days=config.step,
                               seasonal_years=config.seasonal_years)
    return [c for c in cutoffs if c >= start + dt.timedelta(days=config.min_history_days)]


def thin_snapshots(frame: pd.DataFrame) -> list[dt.date]:
    """Cutoffs of a stacked frame with fewer repeat customers than the baselines need to be fitted
    (the earliest cutoffs of a small or young base)."""
    counts = pd.Series(repeat_customers(frame)).groupby(frame["as_of"].to_numpy()).sum()
    return [pd.Timestamp(c).date() for c in counts.index[counts < MIN_REPEAT_CUSTOMERS]]


def _without(frame: pd.DataFrame, cutoffs: list[dt.date]) -> pd.DataFrame:
    return frame[~frame["as_of"].isin([pd.Timestamp(c) for c in cutoffs])].reset_index(drop=True)


def build_examples(transactions: Transactions, config: TrainConfig, events: Events | None = None) -> Examples:
    """All frames for `config`, rows after as_of ignored by construction; with `events` every frame
    carries the engagement features (features/pipeline/engagement.py).

    Snapshots too thin for the baselines are left out of the stacked frames, and the description
    names them; out-of-time validation needs the validation cutoff's snapshot and at least one
    earlier one.
    """
    start = history_start(transactions, config.engine)
    horizon = config.horizon_days
    full_cutoffs = usable_cutoffs(config.as_of, config, start)
    if not full_cutoffs:
        raise ValueError(
            f"the history ({start} .. {config.as_of}) is too short for a {horizon}-day horizon: "
            f"a label window must end by as_of and start after {config.min_history_days} days of data. "
            "Use a shorter --horizon-days or a later --as-of."
        )
    channels = channels_seen(transactions, config.as_of, engine=config.engine)
    full = build_training_frame(transactions, config.as_of, horizon, cutoffs=full_cutoffs, engine=config.engine,
                                channels=channels, events=events)
    scoring = build_scoring_frame(transactions, config.as_of, horizon, engine=config.engine, channels=channels,
                                  events=events)
    scoring = purchasers_of(scoring)
    thin = thin_snapshots(full)
    full = _without(full, thin)
    if full.empty:
        raise ValueError(
            f"no training cutoff up to {config.as_of - dt.timedelta(days=horizon)} has {MIN_REPEAT_CUSTOMERS} "
            "repeat customers, too few to fit the baselines. Use a shorter --horizon-days or a later --as-of."
        )
    n_full = full["as_of"].nunique()
    full, _ = with_baselines(full, horizon)
    validation_cutoff = config.as_of - dt.timedelta(days=horizon)
    oot_cutoffs = usable_cutoffs(validation_cutoff, config, start)
    train = None
    if oot_cutoffs and validation_cutoff not in thin:
        train = build_training_frame(
            transactions, validation_cutoff, horizon, cutoffs=oot_cutoffs, channels=channels, engine=config.engine,
            events=events,
        )
        thin_train = thin_snapshots(train)
        train = _without(train, thin_train)
        thin = sorted(set(thin) | set(thin_train))
        n_oot = train["as_of"].nunique()
    if train is not None and not train.empty:
        train, _ = with_baselines(train, horizon)
        valid = full[full["as_of"] == pd.Timestamp(validation_cutoff)].reset_index(drop=True)
        scheme = "out_of_time"
        description = (
            f"out of time: trained on {n_oot} cutoff(s) up to {validation_cutoff - dt.timedelta(days=horizon)}"
            f"{_seasonal_note(train, validation_cutoff, config)}, "
            f"validated on the window {validation_cutoff} .. {config.as_of}"
        )
    else:
        splitter = GroupShuffleSplit(n_splits=1, test_size=config.validation_share, random_state=config.seed)
        train_idx, valid_idx = next(splitter.split(full, groups=full["customer_id"]))
        train, valid = full.iloc[train_idx], full.iloc[valid_idx]
        latest = full["as_of"].max()
        if n_full > 1:
            # Validate where ageing shows: held-out customers at the snapshot closest to as_of,
            # against a model that saw only earlier snapshots of the other customers.
            train, valid = train[train["as_of"] < latest], valid[valid["as_of"] == latest]
        train, valid = train.reset_index(drop=True), valid.reset_index(drop=True)
        scheme = "held_out_customers"
        description = (
            f"held-out customers ({config.validation_share:.0%}) at the latest cutoff "
            f"{pd.Timestamp(latest).date()}, trained on the other customers' {max(n_full - 1, 1)} cutoff(s)"
            f"{' before it' if n_full > 1 else ''}: " + (
                f"the history from {start} is shorter than two {horizon}-day horizons, so no "
                "out-of-time window exists" if train is None else
                f"no cutoff before {validation_cutoff} has {MIN_REPEAT_CUSTOMERS} repeat customers to "
                "train an out-of-time model on"
            )
        )
    if thin:
        description += (
            f"; left out {len(thin)} cutoff(s) with fewer than {MIN_REPEAT_CUSTOMERS} repeat customers "
            f"({', '.join(str(c) for c in thin)})"
        )
    final_baselines = Baselines(horizon).fit(scoring)
    scoring, _ = with_baselines(scoring, horizon, fitted=final_baselines)
    return Examples(train, valid, full, scoring, final_baselines, scheme, description, channels)


def _seasonal_note(frame: pd.DataFrame, final: dt.date, config: TrainConfig) -> str:
    """Names the seasonal cutoffs of `frame` (the validated window in earlier years), if any."""
    recent = set(training_cutoffs(final, config.horizon_days, n_cutoffs=config.n_cutoffs, step_days=config.step))
    seasonal = sorted({pd.Timestamp(c).date() for c in frame["as_of"].unique()} - recent)
    return f", with the same window a year earlier (cutoff {', '.join(map(str, seasonal))})" if seasonal else ""

