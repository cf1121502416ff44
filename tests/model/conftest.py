"""Fixtures for the BTYD model tests: the CDNOW sample that ships with lifetimes, summarised as in
Fader, Hardie & Lee (2005) (39-week calibration from 1997-01-01, time in weeks)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pandas as pd
import pytest

CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")
CDNOW_MASTER_END = pd.Timestamp("1997-12-31")
WEEK = pd.Timedelta(days=7)


def _lifetimes_dataset(name: str) -> Path:
    """Path of a data file shipped in the installed lifetimes wheel (lifetimes/datasets/<name>)."""
    for file in importlib.metadata.files("lifetimes") or ():
        if file.name == name and file.parent.name == "datasets":
            return Path(file.locate())
    raise FileNotFoundError(f"lifetimes/datasets/{name} is not in the installed lifetimes package")


def _rfm_in_weeks(raw: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Per customer: repeat purchase days up to `end`, recency and T in weeks, mean repeat-day spend
    (NaN for one-time buyers) and purchase days after `end`, as lifetimes'
    summary_data_from_transaction_data(freq="D") counts them (every line's day, whatever its value)."""
    raw = raw.assign(date=pd.to_datetime(raw["date"], format="%Y%m%d"))
    days = raw.groupby(["customer_id", "date"], as_index=False)["dollars"].sum()
    calibration = days[days["date"] <= end]
    holdout = days[days["date"] > end]
    first = calibration.groupby("customer_id")["date"].min()
    last = calibration.groupby("customer_id")["date"].max()
    repeat = calibration[calibration["date"] > calibration["customer_id"].map(first)]
    return pd.DataFrame(
        {
            "frequency": (calibration.groupby("customer_id").size() - 1).astype(float),
            "recency": (last - first) / WEEK,
            "T": (end - first) / WEEK,
            "monetary_value": repeat.groupby("customer_id")["dollars"].mean(),
            "holdout_frequency": holdout.groupby("customer_id").size(),
        }
    ).fillna({"holdout_frequency": 0})


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """Per customer of the 2,357-customer CDNOW sample, indexed by sample id.

    frequency: repeat purchase days in calibration; recency and T: weeks from the first purchase
    to the last purchase and to 1997-09-30; monetary_value: mean spend of the repeat purchase days
    (NaN for one-time buyers); holdout_frequency: purchase days from 1997-10-01 to 1998-06-30.
    """
    raw = pd.read_csv(
        _lifetimes_dataset("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return _rfm_in_weeks(raw, CDNOW_CALIBRATION_END)


@pytest.fixture(scope="session")
def cdnow_master_summary() -> pd.DataFrame:
    """The same summary for the 23,570 customers of the CDNOW master log as of 1997-12-31 (the
    cutoff of `insight demo` and bench/models.py), the usual way of fitting lifetimes to it."""
    raw = pd.read_csv(_lifetimes_dataset("CDNOW_master.txt"), sep=r"\s+", header=0,
                      names=["customer_id", "date", "cds", "dollars"], dtype={"customer_id": str, "date": str})
    return _rfm_in_weeks(raw, CDNOW_MASTER_END)


@pytest.fixture(scope="session")
def cdnow_published_summary() -> pd.DataFrame:
    """Hardie's own per-customer CDNOW summary (ID, x, t_x, T, zbar; rounded to 2 decimals)."""
    return pd.read_csv(_lifetimes_dataset("cdnow_customers_summary_with_transactions.csv"))
