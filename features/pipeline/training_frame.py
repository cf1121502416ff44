"""Stacked training examples from rolling cutoffs, and the matching scoring frame.

For a final cutoff T and horizon H the examples come from n_cutoffs earlier cutoffs
T - H, T - H - step, T - H - 2*step, ... (step defaults to H), each with its features as of that
cutoff and its labels over (cutoff, cutoff + H]. Every label window therefore ends on or before T,
so nothing after T is used and T itself stays free for evaluation or scoring. Every row carries
its `as_of` and the calendar features of its label window; the scoring frame carries the same
columns for the window after T, without labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import pandas as pd

from features.engine import resolve_backend
from features.pipeline.build import feature_table, resolve_channel_columns
from features.pipeline.calendar import calendar_features
from features.pipeline.dates import as_cutoff_date, positive_days
from features.pipeline.labels import LABEL_COLUMNS, with_labels
from features.pipeline.source import Transactions, to_frame, transactions_table


def training_cutoffs(
    as_of: dt.date | str,
    horizon_days: int,
    *,
    n_cutoffs: int = 4,
    step_days: int | None = None,
) -> list[dt.date]:
    """The training cutoffs for final cutoff `as_of`, oldest first; the last is as_of - horizon."""
    final = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    count = positive_days(n_cutoffs, "n_cutoffs")
    step = horizon if step_days is None else positive_days(step_days, "step_days")
    return [final - dt.timedelta(days=horizon + k * step) for k in reversed(range(count))]


def build_training_frame(
    transactions: Transactions,
    as_of: dt.date | str,
    horizon_days: int,
    *,
    n_cutoffs: int = 4,
    step_days: int | None = None,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
    channels: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Features, calendar features and labels stacked over training_cutoffs(), sorted by
    (as_of, customer_id). Channel columns are fixed once, from the data before the final `as_of`,
    so every block and the scoring frame at `as_of` share them."""
    final = as_cutoff_date(as_of)
    cutoffs = training_cutoffs(final, horizon_days, n_cutoffs=n_cutoffs, step_days=step_days)
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    columns = resolve_channel_columns(backend, lines, final, channels)
    blocks = []
    for cutoff in cutoffs:
        labelled = with_labels(feature_table(lines, cutoff, columns), lines, cutoff, horizon_days)
        block = to_frame(backend, labelled)
        blocks.append(_with_window_columns(block, cutoff, horizon_days))
    return pd.concat(blocks, ignore_index=True)


def build_scoring_frame(
    transactions: Transactions,
    as_of: dt.date | str,
    horizon_days: int,
    *,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
    channels: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The rows to score at `as_of` for the next `horizon_days`: the training frame's columns
    without labels."""
    cutoff = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    columns = resolve_channel_columns(backend, lines, cutoff, channels)
    features = to_frame(backend, feature_table(lines, cutoff, columns))
    return _with_window_columns(features, cutoff, horizon)


def _with_window_columns(frame: pd.DataFrame, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """`frame` with as_of after customer_id and the calendar features between features and labels."""
    labels = [name for name in LABEL_COLUMNS if name in frame.columns]
    out = frame.drop(columns=labels).assign(**calendar_features(as_of, horizon_days))
    out.insert(1, "as_of", pd.Series(pd.Timestamp(as_of), index=out.index, dtype="datetime64[us]"))
    return pd.concat([out, frame[labels]], axis=1)
