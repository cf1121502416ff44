"""The uplift model's training data from stored campaigns: each member's features as of the
campaign's cutoff, whether it was treated, whether it converted in the window, and the churn
probability it was targeted with (the baseline the model must beat)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from features.pipeline import build_features
from serving.campaigns.report import member_outcomes
from serving.campaigns.split import TREATED
from serving.campaigns.store import StoredCampaign


def targeted_churn(stored: StoredCampaign) -> pd.Series | None:
    """Each member's churn probability from the audience list the campaign was made from, or
    None when that list is gone."""
    m = stored.manifest
    path = Path(m.get("audiences_dir", "")) / f"{m['audience']}.csv"
    if not path.is_file():
        return None
    listed = pd.read_csv(path, dtype={"customer_id": str}, usecols=["customer_id", "churn_probability"])
    return listed.set_index("customer_id")["churn_probability"]


def campaign_members(stored: StoredCampaign, transactions: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per member: features as of the cutoff, `treated`, `converted`, `churn_probability`."""
    m = stored.manifest
    as_of = dt.date.fromisoformat(m["as_of"])
    start = dt.date.fromisoformat(m["starts"])
    outcomes, last = member_outcomes(transactions, stored.members, start, m["window_days"])
    window_end = pd.Timestamp(start, tz="UTC") + pd.Timedelta(days=m["window_days"] - 1)
    if pd.isna(last) or last < window_end:
        ends = "has no rows" if pd.isna(last) else f"ends {last.date()}"
        raise ValueError(f"{transactions}: campaign {m['campaign_id']}'s window runs to {window_end.date()} but the "
                         f"data {ends}; an uplift model learns from finished campaigns only")
    features = build_features(transactions, as_of)
    features = features.assign(customer_id=features["customer_id"].astype(str))
    frame = outcomes[["customer_id", "group", "converted"]].merge(features, on="customer_id", how="left",
                                                                  validate="one_to_one")
    frame["treated"] = frame.pop("group").eq(TREATED)
    churn = targeted_churn(stored)
    if churn is None:
        churn = _champion_churn(transactions, as_of, frame["customer_id"])
    frame["churn_probability"] = frame["customer_id"].map(churn).astype(float)
    frame.insert(1, "campaign_id", m["campaign_id"])
    return frame


def _champion_churn(transactions, as_of: dt.date, ids: pd.Series) -> pd.Series:
    """The current churn champion's probabilities as of the campaign's cutoff."""
    from features.pipeline import purchasers_of
    from training.champions import load_champions
    from training.predict import score

    models = load_champions().models
    scored = purchasers_of(score(models, transactions, as_of))
    return scored.set_index(scored["customer_id"].astype(str))["churn_probability"].reindex(ids.to_numpy())


def uplift_frame(campaigns: list[StoredCampaign], transactions: str | os.PathLike[str]) -> pd.DataFrame:
    """The members of every campaign stacked (a customer in two campaigns is two examples)."""
    if not campaigns:
        raise ValueError("give at least one finished campaign (--campaign ID)")
    return pd.concat([campaign_members(c, transactions) for c in campaigns], ignore_index=True)
