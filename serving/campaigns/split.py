"""Random holdout control groups, deterministic from campaign id + customer id.

Each customer gets a uniform number in [0, 1) from SHA-256 of "campaign_id:customer_id", so the
same campaign always splits the same customers the same way, whatever order they come in, and
two campaigns split independently. Without strata a customer is in the control when its number
is below the share (independent Bernoulli draws); with strata (segment, churn band) the control
is exactly round(share x size) customers of each stratum, those with the lowest numbers.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

TREATED, CONTROL = "treated", "control"
CHURN_BANDS = (0.3, 0.7)
STRATA = {"segment": "segment_name", "churn_band": "churn_band"}


def hash_uniform(campaign_id: str, customer_ids: pd.Series) -> np.ndarray:
    """A uniform number in [0, 1) per customer, from the first 8 bytes of SHA-256."""
    prefix = f"{campaign_id}:".encode()
    return np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + str(c).encode()).digest()[:8], "big") / 2.0 ** 64
         for c in customer_ids),
        dtype=float, count=len(customer_ids),
    )


def churn_band(probability: pd.Series) -> pd.Series:
    """low (< 0.3), medium (< 0.7) or high churn probability."""
    bins = [-np.inf, *CHURN_BANDS, np.inf]
    return pd.cut(probability, bins=bins, right=False, labels=["low", "medium", "high"]).astype(str)


def split_control(members: pd.DataFrame, campaign_id: str, share: float,
                  stratify: tuple[str, ...] = ()) -> pd.DataFrame:
    """`members` (customer_id plus the stratum columns) with `group` (treated/control) and
    `stratum` added, sorted by customer id."""
    if not 0 < share < 1:
        raise ValueError(f"the control share must be between 0 and 1 (exclusive), got {share}")
    unknown = [s for s in stratify if s not in STRATA]
    if unknown:
        raise ValueError(f"cannot stratify by {', '.join(unknown)}; choose from {', '.join(STRATA)}")
    if members["customer_id"].duplicated().any():
        raise ValueError("a campaign lists each customer once; the audience has duplicate customer ids")
    frame = members.copy()
    frame["customer_id"] = frame["customer_id"].astype(str)
    if "churn_band" in stratify:
        frame["churn_band"] = churn_band(frame["churn_probability"])
    frame["draw"] = hash_uniform(campaign_id, frame["customer_id"])
    columns = [STRATA[s] for s in stratify]
    frame["stratum"] = frame[columns].astype(str).agg("|".join, axis=1) if columns else "all"
    if columns:
        rank = frame.groupby("stratum")["draw"].rank(method="first")
        size = frame.groupby("stratum")["draw"].transform("size")
        in_control = rank <= np.round(share * size)
    else:
        in_control = frame["draw"] < share
    frame["group"] = np.where(in_control, CONTROL, TREATED)
    return frame.drop(columns="draw").sort_values("customer_id", ignore_index=True)
