"""Arrays of one simulated chunk -> the canonical transaction frame and the ground-truth frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.schema import to_canonical_frame
from features.synth.baskets import Lines
from features.synth.calendar import Calendar
from features.synth.catalogue import CATEGORIES, Catalogue
from features.synth.population import Population
from features.synth.profiles import BEHAVIOURS, CHANNELS, REGIONS
from features.synth.returns import Returns
from features.synth.timeline import Fates, Orders

SOURCE = "synth"
ORDER_ID_DIGITS = 9
CUSTOMER_ID_DIGITS = 7
MICROSECONDS = 1_000_000
TRUTH_COLUMNS: tuple[str, ...] = (
    "customer_id", "behaviour", "acquisition_date", "churn_date", "decline_date", "base_rate",
    "mean_basket_value", "preferred_channel", "favourite_category", "region", "trend",
)


@dataclass(frozen=True)
class Numbering:
    """Where a chunk's numbering starts, so ids stay unique across chunks.

    Purchases are numbered O000000001, ...; returns, which are orders of their own, R000000001, ...
    """

    first_customer: int
    first_order: int
    first_return: int
    customer_digits: int


def customer_digits(n_customers: int) -> int:
    """Digits of the zero-padded customer number: C0000001 up to 9,999,999 customers."""
    return max(CUSTOMER_ID_DIGITS, len(str(n_customers)))


def _ids(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=digits, padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def _labels(names: tuple[str, ...] | np.ndarray, codes: np.ndarray) -> pa.Array:
    return pa.array(names, pa.string()).take(pa.array(codes, pa.int64()))


def transactions_frame(
    pop: Population,
    orders: Orders,
    lines: Lines,
    returns: Returns,
    catalogue: Catalogue,
    calendar: Calendar,
    numbering: Numbering,
) -> pd.DataFrame:
    """Purchase lines and return lines in canonical form, sorted by customer then time.

    Orders arrive sorted by customer and time, and return rows come after purchase rows, so a
    stable sort on (customer, time, is-return) keeps each order's lines together and in order.
    """
    n_purchase, n_return = lines.order.size, returns.line.size
    line = np.concatenate([np.arange(n_purchase), returns.line])
    sign = np.concatenate([np.ones(n_purchase), -np.ones(n_return)])
    order = lines.order[line]
    customer = orders.customer[order]
    at = np.concatenate([orders.at[lines.order], returns.at])
    is_return = np.repeat([False, True], [n_purchase, n_return])
    number = np.concatenate([
        numbering.first_order + lines.order + 1, numbering.first_return + np.arange(n_return) + 1
    ])
    rows = np.argsort((customer * (at.max(initial=0) + 1) + at) * 2 + is_return, kind="stable")

    order_ids = pa.concat_arrays([
        _ids("O", number[:n_purchase], ORDER_ID_DIGITS), _ids("R", number[n_purchase:], ORDER_ID_DIGITS)
    ])
    start_us = calendar.first_day.astype("datetime64[us]").astype(np.int64)
    customers = _ids("C", numbering.first_customer + np.arange(pop.size) + 1, numbering.customer_digits)
    table = pa.table({
        "customer_id": customers.take(pa.array(customer[rows])),
        "order_id": order_ids.take(pa.array(rows)),
        "timestamp": pa.array(start_us + at[rows] * MICROSECONDS).cast(pa.timestamp("us", tz="UTC")),
        "amount": sign[rows] * lines.amount[line[rows]],
        "quantity": sign[rows] * lines.quantity[line[rows]],
        "product_id": _labels(catalogue.product_ids, lines.product[line[rows]]),
        "category": _labels(CATEGORIES, lines.category[line[rows]]),
        "channel": _labels(CHANNELS, orders.channel[order[rows]]),
        "region": _labels(REGIONS, pop.region[customer[rows]]),
        "source": _labels((SOURCE,), np.zeros(rows.size, np.int64)),
    })
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    return to_canonical_frame(frame)


def truth_frame(pop: Population, fates: Fates, calendar: Calendar, numbering: Numbering) -> pd.DataFrame:
    """One row per customer: behaviour, acquisition, churn and decline dates (NaT when they did
    not happen within the period), base rate, mean basket value and preferred channel."""
    customers = _ids("C", numbering.first_customer + np.arange(pop.size) + 1, numbering.customer_digits)
    frame = pd.DataFrame({
        "customer_id": pd.array(customers, dtype=pd.StringDtype("pyarrow")),
        "behaviour": np.asarray(BEHAVIOURS)[pop.behaviour],
        "acquisition_date": _dates(pop.acquisition_day, calendar),
        "churn_date": _dates(fates.churn_day, calendar),
        "decline_date": _dates(fates.decline_day, calendar),
        "base_rate": pop.base_rate,
        "mean_basket_value": np.round(pop.basket_value, 2),
        "preferred_channel": np.asarray(CHANNELS)[pop.channel],
        "favourite_category": np.asarray(CATEGORIES)[pop.favourite],
        "region": np.asarray(REGIONS)[pop.region],
        "trend": pop.trend,
    })
    for name in ("behaviour", "preferred_channel", "favourite_category", "region"):
        frame[name] = frame[name].astype(pd.StringDtype("pyarrow"))
    return frame


def _dates(day: np.ndarray, calendar: Calendar) -> pd.Series:
    """Day indices -> midnight UTC timestamps; days outside the period (or `NEVER`) -> NaT."""
    inside = day < calendar.n_days
    stamps = calendar.first_day + np.where(inside, day, 0).astype("timedelta64[D]")
    stamps = np.where(inside, stamps, np.datetime64("NaT")).astype("datetime64[us]")
    return pd.Series(stamps).dt.tz_localize("UTC")
