"""Stacked training examples from rolling cutoffs, and the matching scoring frame.

For a final cutoff T and horizon H the examples come from n_cutoffs earlier cutoffs
T - H, T - H - step, T - H - 2*step, ... (step defaults to H), plus, with `seasonal_years`, the
cutoffs T - 364 days, T - 728 days, ...: the window the models will predict, (T, T + H], as it fell
one, two, ... years (52 weeks, so weekdays align) earlier, so that a festive window is learned from
last year's festive window even when the recent cutoffs span only a few months. Each cutoff has its
features as of that cutoff and its labels over (cutoff, cutoff + H]. Every label window therefore
ends on or before T, so nothing after T is used and T itself stays free for evaluation or scoring.
Every row carries its `as_of` and the calendar features of its label window; the scoring frame
carries the same columns for the window after T, without labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import pandas as pd

from features.engine import resolve_backend
from features.pipeline.build import feature_table, resolve_channel_columns
from features.pipeline.calendar import calendar_features
from features.pipeline.dates import ONE_DAY, as_cutoff_date, day_number, positive_days
from features.pipeline.labels import LABEL_COLUMNS, with_labels
from features.pipeline.orders import customer_status, lines_in_period, orders_from_lines
from features.pipeline.source import Events, Transactions, events_table, to_frame, transactions_table

SEASON_DAYS = 364
"""52 weeks: how far back the seasonal cutoffs step, and the longest horizon they serve."""


def training_cutoffs(
    as_of: dt.date | str,
    horizon_days: int,
    *,
    n_cutoffs: int = 4,
    step_days: int | None = None,
    seasonal_years: int = 0,
) -> list[dt.date]:
    """The training cutoffs for final cutoff `as_of`, oldest first; the latest is as_of - horizon.

    `seasonal_years` adds as_of - 52 weeks, as_of - 104 weeks, ... (for horizons of up to 364
    days, whose window a year earlier still ends by as_of), unless already among the others.
    """
    final = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    count = positive_days(n_cutoffs, "n_cutoffs")
    step = horizon if step_days is None else positive_days(step_days, "step_days")
    if not isinstance(seasonal_years, int) or seasonal_years < 0:
        raise ValueError(f"seasonal_years must be a whole number of years >= 0; got {seasonal_years!r}")
    recent = {final - dt.timedelta(days=horizon + k * step) for k in range(count)}
    years = range(1, seasonal_years + 1) if horizon <= SEASON_DAYS else range(0)
    seasonal = {final - dt.timedelta(days=SEASON_DAYS * y) for y in years}
    return sorted(recent | seasonal)


def build_training_frame(
    transactions: Transactions,
    as_of: dt.date | str,
    horizon_days: int,
    *,
    n_cutoffs: int = 4,
    step_days: int | None = None,
    seasonal_years: int = 0,
    cutoffs: Iterable[dt.date] | None = None,
    engine: str = "duckdb",
    backend: ibis.BaseBackend | None = None,
    channels: Iterable[str] | None = None,
    events: Events | None = None,
) -> pd.DataFrame:
    """Features, calendar features and labels stacked over training_cutoffs() (or the given
    `cutoffs`, whose label windows must end by `as_of`), sorted by (as_of, customer_id). Channel
    columns are fixed once, from the data before the final `as_of`, so every block and the scoring
    frame at `as_of` share them. `events` adds the engagement features, each block's from the events
    before its own cutoff."""
    final = as_cutoff_date(as_of)
    if cutoffs is None:
        cutoffs = training_cutoffs(final, horizon_days, n_cutoffs=n_cutoffs, step_days=step_days,
                                   seasonal_years=seasonal_years)
    else:
        horizon = positive_days(horizon_days, "horizon_days")
        cutoffs = sorted(as_cutoff_date(c) for c in cutoffs)
        if not cutoffs:
            raise ValueError("cutoffs is empty: give at least one training cutoff")
        late = [c for c in cutoffs if c + dt.timedelta(days=horizon) > final]
        if late:
            raise ValueError(f"cutoff {late[0]}: its {horizon}-day label window ends after as_of {final}")
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    columns = resolve_channel_columns(backend, lines, final, channels)
    activity = None if events is None else events_table(backend, events)
    blocks = []
    for cutoff in cutoffs:
        labelled = with_labels(feature_table(lines, cutoff, columns, activity), lines, cutoff, horizon_days)
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
    events: Events | None = None,
) -> pd.DataFrame:
    """The rows to score at `as_of` for the next `horizon_days`: the training frame's columns
    without labels, plus `status` (see `orders.STATUSES`), for every customer with a line on or
    before `as_of`. Customers without a purchase have NaN features, except that a no_paid_orders
    customer carries the BTYD summary of a one-time buyer since the first zero-value order (so the
    count models can score it)."""
    cutoff = as_cutoff_date(as_of)
    horizon = positive_days(horizon_days, "horizon_days")
    backend = resolve_backend(engine, backend)
    lines = transactions_table(backend, transactions)
    columns = resolve_channel_columns(backend, lines, cutoff, channels)
    activity = None if events is None else events_table(backend, events)
    features = to_frame(backend, feature_table(lines, cutoff, columns, activity))
    history = orders_from_lines(lines_in_period(lines, None, cutoff + ONE_DAY))
    status = to_frame(backend, customer_status(history))
    known = status.merge(features, on="customer_id", how="left", validate="one_to_one")
    zero_only = (known["status"] == "no_paid_orders").to_numpy()
    known.loc[zero_only, ["btyd_frequency", "btyd_recency", "btyd_monetary"]] = 0.0
    known.loc[zero_only, "btyd_T"] = day_number(cutoff) - known.loc[zero_only, "first_day"].astype("float64")
    frame = _with_window_columns(
        known[list(features.columns)].astype({c: "float64" for c in features.columns if c != "customer_id"}),
        cutoff, horizon)
    return frame.assign(status=known["status"].astype("string"))


def purchasers_of(scoring: pd.DataFrame) -> pd.DataFrame:
    """The rows of a scoring frame with a purchase (status `scored`), without `status`: the customers
    the feature and training tables have, as models are trained and judged on."""
    if "status" not in scoring.columns:
        return scoring
    return scoring[scoring["status"].eq("scored").to_numpy()].drop(columns="status").reset_index(drop=True)


def _with_window_columns(frame: pd.DataFrame, as_of: dt.date, horizon_days: int) -> pd.DataFrame:
    """`frame` with as_of after customer_id and the calendar features between features and labels."""
    labels = [name for name in LABEL_COLUMNS if name in frame.columns]
    out = frame.drop(columns=labels).assign(**calendar_features(as_of, horizon_days))
    out.insert(1, "as_of", pd.Series(pd.Timestamp(as_of), index=out.index, dtype="datetime64[us]"))
    return pd.concat([out, frame[labels]], axis=1)
