"""The numbers of the insight report, computed from one scored base (scores joined to features).

Every function takes the customer table of `serving.scored_base.scored_base` and returns plain
data (dicts, lists, floats): no formatting, no HTML. Value ranks order customers by predicted
value, highest first, ties by customer id, so "the top 10 %" is the first ceil(0.1 n) of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

RISK_BANDS = (("low", "Low risk", 0.0, 0.3), ("medium", "Medium risk", 0.3, 0.7), ("high", "High risk", 0.7, 1.01))
"""Churn bands: (key, name, lower bound inclusive, upper bound exclusive)."""
VALUE_BANDS = (("top10", "Top 10 %", 0.0, 0.1), ("next20", "Next 20 %", 0.1, 0.3),
               ("middle40", "Middle 40 %", 0.3, 0.7), ("bottom30", "Bottom 30 %", 0.7, 1.0))
"""Predicted-value bands by rank: (key, name, start, end) as shares of the ranked customers."""
VALUE_TIERS = (("Top 1 %", 0.0, 0.01), ("Next 4 %", 0.01, 0.05), ("Next 15 %", 0.05, 0.2),
               ("Next 30 %", 0.2, 0.5), ("Bottom 50 %", 0.5, 1.0))
TOP_SHARES = (0.01, 0.05, 0.10, 0.20)
AT_RISK_TOP_SHARE = 0.2
AT_RISK_CHURN = 0.5
"""'Valuable at risk': in the top 20 % of predicted value with a chance of leaving of 50 % or more."""
FESTIVE_SHARE = 0.6
"""Festive customers: at least 60 % of their orders in November-December (as the festive audience)."""
STILL_ACTIVE_CHURN = 0.5
DISTINGUISHING = ("recency_days", "orders", "spend_total", "order_value_mean", "tenure_days",
                  "nov_dec_order_share", "return_rate", "gap_median_days")
"""Features a segment card compares with the whole base to say what sets the segment apart."""
SHARE_FEATURES = frozenset({"nov_dec_order_share", "return_rate"})
CHURN_BINS = np.linspace(0.0, 1.0, 11)
CURVE_POINTS = 200


def glance(base: pd.DataFrame) -> dict:
    """The base at a glance: customers, active ones, last-12-month revenue, repeat rate, rhythm."""
    orders = _column(base, "orders")
    buyers = int((orders >= 1).sum())
    active = (_column(base, "orders_365d") > 0) if "orders_365d" in base else (_column(base, "recency_days") <= 365)
    return {
        "customers": len(base),
        "active_customers": int(active.sum()),
        "revenue_12m": float(_column(base, "spend_365d").sum()),
        "repeat_customers": int((orders >= 2).sum()),
        "buyers": buyers,
        "repeat_rate": _ratio(int((orders >= 2).sum()), buyers),
        "median_days_between_orders": _median(_column(base, "gap_median_days")),
        "median_days_to_second_order": _median(_column(base, "gap_first_days")),
        "as_of": cutoff_of(base).date().isoformat(),
        "model_versions": glance_versions(base),
        "by_status": {str(k): int(v) for k, v in base["status"].value_counts().items()} if "status" in base else {},
        "predicted_value": float(base["predicted_clv"].sum()),
        "expected_orders": float(base["expected_orders"].sum()) if "expected_orders" in base else None,
    }


def glance_versions(base: pd.DataFrame) -> dict[str, str]:
    """Model name -> version recorded with the scores ({} when absent or mixed)."""
    versions = base["model_versions"].dropna().astype(str).unique() if "model_versions" in base else []
    return json.loads(versions[0]) if len(versions) == 1 else {}


def segments(base: pd.DataFrame, previous: pd.DataFrame | None = None) -> list[dict]:
    """One card per segment, largest first: size, revenue share, medians, distinctions,
    churn and value histograms, and moves since `previous` (an earlier scores table)."""
    revenue = _column(base, "spend_365d")
    total_revenue = float(revenue.sum())
    total_value = float(base["predicted_clv"].sum())
    overall = {f: _median(_column(base, f)) for f in DISTINGUISHING if f in base}
    value_edges = _value_edges(base["predicted_clv"])
    moves = segment_moves(base, previous) if previous is not None else None
    cards = []
    for name, part in sorted(base.groupby("segment_name", sort=False), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        churn = part["churn_probability"].dropna().to_numpy(float)
        value = part["predicted_clv"].dropna().to_numpy(float)
        seg_revenue = float(revenue.loc[part.index].sum())
        cards.append({
            "name": str(name),
            "customers": len(part),
            "customer_share": len(part) / len(base),
            "revenue_12m": seg_revenue,
            "revenue_share": seg_revenue / total_revenue if total_revenue > 0 else None,
            "predicted_value": float(value.sum()),
            "value_share": float(value.sum()) / total_value if total_value > 0 else None,
            "median_recency_days": _median(_column(part, "recency_days")),
            "median_orders": _median(_column(part, "orders")),
            "median_spend": _median(_column(part, "spend_total")),
            "median_churn": _median(pd.Series(churn)),
            "median_value": _median(pd.Series(value)),
            "distinctions": distinctions(part, overall),
            "churn_histogram": np.histogram(churn, CHURN_BINS)[0].tolist(),
            "value_histogram": np.histogram(np.clip(value, value_edges[0], value_edges[-1]), value_edges)[0].tolist(),
            "moves": moves.get(str(name)) if moves is not None else None,
        })
    return cards


def histogram_edges(base: pd.DataFrame) -> dict:
    """The bin edges behind the segment cards' histograms (shared by every card)."""
    return {"churn": CHURN_BINS.tolist(), "value": _value_edges(base["predicted_clv"]).tolist()}


def distinctions(part: pd.DataFrame, overall: dict[str, float | None], limit: int = 3) -> list[dict]:
    """The features on which the segment's median differs most from the whole base's median.

    Counts, days and money compare by ratio (at least 1.3 times, or under 1/1.3), shares by
    difference (at least 15 points); strongest first.
    """
    found = []
    for feature, base_median in overall.items():
        mine = _median(_column(part, feature))
        if mine is None or base_median is None:
            continue
        if feature in SHARE_FEATURES:
            strength = abs(mine - base_median) / 0.15
        else:
            low, high = sorted((abs(mine), abs(base_median)))
            strength = math.log(max(high, 1e-9) / max(low, 1e-9)) / math.log(1.3) if high > 0 else 0.0
            if (mine < 0) != (base_median < 0):
                strength = max(strength, 1.0)
        if strength >= 1.0:
            found.append({"feature": feature, "segment": mine, "base": base_median,
                          "direction": "higher" if mine > base_median else "lower", "strength": strength})
    return sorted(found, key=lambda d: -d["strength"])[:limit]


def segment_moves(base: pd.DataFrame, previous: pd.DataFrame) -> dict[str, dict]:
    """Per current segment: customers who stayed, came from another segment, are new, and who left
    it for another segment, matched by customer id between `previous` and `base`."""
    before = previous[["customer_id", "segment_name"]].astype({"customer_id": str})
    joined = base[["customer_id", "segment_name"]].astype({"customer_id": str}).merge(
        before, on="customer_id", how="left", suffixes=("", "_before"))
    out = {}
    for name in joined["segment_name"].astype(str).unique():
        now = joined["segment_name"].astype(str) == name
        was = joined["segment_name_before"].astype(str) == name
        known = joined["segment_name_before"].notna()
        out[name] = {
            "stayed": int((now & was).sum()),
            "came_in": int((now & known & ~was).sum()),
            "new": int((now & ~known).sum()),
            "left": int((~now & was).sum()),
        }
    return out


def value_ranks(base: pd.DataFrame) -> pd.DataFrame:
    """Customers with a predicted value, highest first (ties by customer id), with their rank share."""
    valued = base[base["predicted_clv"].notna()]
    order = np.lexsort((valued["customer_id"].astype(str).to_numpy(), -valued["predicted_clv"].to_numpy(float)))
    ranked = valued.iloc[order].reset_index(drop=True)
    ranked["rank_share"] = np.arange(len(ranked)) / max(len(ranked), 1)
    return ranked


def concentration(ranked: pd.DataFrame) -> dict:
    """Who matters most: share of predicted value held by the top 1/5/10/20 %, the Pareto curve,
    value tiers, and the valuable customers at risk."""
    value = ranked["predicted_clv"].to_numpy(float)
    n, total = len(value), float(value.sum())
    cumulative = np.concatenate([[0.0], np.cumsum(value)])
    top = [{"share_of_customers": p, "customers": _first(p, n),
            "share_of_value": cumulative[_first(p, n)] / total if total > 0 else None} for p in TOP_SHARES]
    points = np.unique(np.linspace(0, n, min(CURVE_POINTS, n) + 1).round().astype(int))
    curve = {"customers": (points / max(n, 1)).tolist(),
             "value": (cumulative[points] / total).tolist() if total > 0 else [0.0] * len(points)}
    tiers = []
    for name, start, end in VALUE_TIERS:
        part = ranked.iloc[_first(start, n):_first(end, n)]
        tiers.append({"name": name, "customers": len(part), "predicted_value": float(part["predicted_clv"].sum()),
                      "share_of_value": float(part["predicted_clv"].sum()) / total if total > 0 else None,
                      "lowest_value": float(part["predicted_clv"].min()) if len(part) else None,
                      "median_churn": _median(part["churn_probability"])})
    return {"customers": n, "predicted_value": total, "top": top, "curve": curve, "tiers": tiers,
            "at_risk": at_risk(ranked)}


def at_risk(ranked: pd.DataFrame, listed: int = 10) -> dict:
    """Top-20 %-value customers with a chance of leaving of at least 50 %: count, value, the first few."""
    n = len(ranked)
    valuable = ranked.iloc[:_first(AT_RISK_TOP_SHARE, n)]
    risky = valuable[valuable["churn_probability"] >= AT_RISK_CHURN]
    rows = risky.head(listed)
    return {
        "customers": len(risky),
        "valuable_customers": len(valuable),
        "predicted_value": float(risky["predicted_clv"].sum()),
        "revenue_12m": float(_column(risky, "spend_365d").sum()),
        "listed": [{"customer_id": str(r.customer_id), "segment": str(r.segment_name),
                    "predicted_value": float(r.predicted_clv), "churn": float(r.churn_probability),
                    "recency_days": _float(getattr(r, "recency_days", None))}
                   for r in rows.itertuples(index=False)],
    }


def risk_value_matrix(ranked: pd.DataFrame) -> dict:
    """Churn band x predicted-value band: customers, predicted value and revenue at stake per cell.

    Revenue at stake is each customer's last-12-month spend times their chance of leaving: the
    part of last year's revenue expected to go if nothing is done (none for customers without a paid order).
    """
    n = len(ranked)
    churn = ranked["churn_probability"].to_numpy(float)
    revenue = _column(ranked, "spend_365d").fillna(0.0).to_numpy(float)
    stake = churn * revenue
    value = ranked["predicted_clv"].to_numpy(float)
    cells = {}
    for vkey, _, start, end in VALUE_BANDS:
        rows = slice(_first(start, n), _first(end, n))
        for rkey, _, low, high in RISK_BANDS:
            mask = (churn[rows] >= low) & (churn[rows] < high)
            cells[f"{rkey}|{vkey}"] = {"customers": int(mask.sum()), "predicted_value": float(value[rows][mask].sum()),
                                       "at_stake": float(stake[rows][mask].sum())}
    return {"risk_bands": [{"key": k, "name": name, "low": lo, "high": min(hi, 1.0)} for k, name, lo, hi in RISK_BANDS],
            "value_bands": [{"key": k, "name": name, "start": s, "end": e} for k, name, s, e in VALUE_BANDS],
            "cells": cells, "total_at_stake": float(np.nansum(stake))}


def timing(base: pd.DataFrame, horizon_days: int) -> dict:
    """When they will buy: customers whose expected next order falls in each week of the horizon,
    those expected after it (`next_purchase_after_horizon`), expected orders per week, and the
    festive customers with their season."""
    as_of = cutoff_of(base)
    weeks = max(1, math.ceil(horizon_days / 7))
    next_day = pd.to_datetime(base["expected_next_purchase_date"], errors="coerce")
    ahead = (next_day - as_of).dt.days
    week = np.ceil(ahead.clip(lower=1) / 7)
    per_week = [int((week == w).sum()) for w in range(1, weeks + 1)]
    flagged = (base["next_purchase_after_horizon"].fillna(False).astype(bool) if "next_purchase_after_horizon" in base
               else pd.Series(False, index=base.index))
    expected = float(base["expected_orders"].sum())
    return {
        "as_of": as_of.date().isoformat(),
        "horizon_days": horizon_days,
        "weeks": weeks,
        "week_starts": [(as_of + pd.Timedelta(days=7 * w + 1)).date().isoformat() for w in range(weeks)],
        "next_order_per_week": per_week,
        "next_order_later": int(((week > weeks) | (next_day.isna() & flagged)).sum()),
        "next_order_none": int((next_day.isna() & ~flagged).sum()),
        "expected_orders": expected,
        "expected_orders_per_week": expected / (horizon_days / 7),
        "expected_buyers_30d": float(base["p_purchase_30d"].sum()) if "p_purchase_30d" in base else None,
        "expected_buyers_90d": float(base["p_purchase_90d"].sum()) if "p_purchase_90d" in base else None,
        "festive": festive(base, as_of, horizon_days),
    }


def festive(base: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int) -> dict:
    """Festive customers, when their November-December season next starts, and how many are due:
    festive customers still likely active (chance of leaving below 50 %) when the season is within the horizon."""
    share = _column(base, "nov_dec_order_share")
    members = base[share >= FESTIVE_SHARE]
    season = pd.Timestamp(as_of.year, 11, 1)
    in_season = as_of.month in (11, 12)
    if not in_season and as_of >= season:
        season = pd.Timestamp(as_of.year + 1, 11, 1)
    days_to_season = 0 if in_season else int((season - as_of).days)
    likely = members[members["churn_probability"] < STILL_ACTIVE_CHURN]
    within = days_to_season <= horizon_days
    return {
        "customers": len(members),
        "share_of_base": len(members) / len(base) if len(base) else None,
        "season_start": (pd.Timestamp(as_of.year, 11, 1) if in_season else season).date().isoformat(),
        "in_season": in_season,
        "days_to_season": days_to_season,
        "season_within_horizon": within,
        "likely_active": len(likely),
        "due": len(likely) if within else 0,
        "revenue_12m": float(_column(members, "spend_365d").sum()),
    }


def channels(base: pd.DataFrame, names: Mapping[str, str] | None = None) -> list[dict]:
    """Per sales channel: share of all orders placed there and customers whose last order was there;
    `names` maps a column's slug to the channel's name in the data (`channel_names`)."""
    names = names or {}
    columns = [c for c in base.columns if c.startswith("channel_share_")]
    orders = _column(base, "orders")
    total = float(orders.sum())
    out = []
    for column in columns:
        channel = column.removeprefix("channel_share_")
        last = f"channel_last_{channel}"
        out.append({"channel": names.get(channel, channel.replace("_", " ")),
                    "order_share": float((base[column].fillna(0) * orders).sum()) / total if total > 0 else None,
                    "last_order_customers": int(base[last].fillna(0).gt(0).sum()) if last in base else None})
    return sorted(out, key=lambda c: -(c["order_share"] or 0))


ENGAGEMENT_FACTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "web": (("sessions_30d", "active", "share with a visit in the last 30 days"),
            ("days_since_last_session", "median", "typical days since the last visit"),
            ("carts_without_order_30d", "active", "share who left a cart without ordering (30 days)")),
    "email": (("email_open_rate_last_5", "mean", "opened, of their last 5 emails"),
              ("email_click_rate_last_5", "mean", "clicked, of their last 5 emails"),
              ("email_bounced", "mean", "share whose last email bounced"),
              ("consent_email", "mean", "share who may be emailed")),
    "service": (("tickets_90d", "active", "share with a ticket in the last 90 days"),
                ("last_ticket_unresolved", "mean", "share whose last ticket is unresolved")),
    "feedback": (("last_nps", "median", "typical latest NPS answer"),
                 ("last_csat", "median", "typical latest satisfaction score"),
                 ("review_rating_mean", "median", "typical review rating")),
}
"""Per event family: (feature, how it is summarised over the customers with such events, words)."""


def engagement(base: pd.DataFrame) -> list[dict]:
    """Per event family present in the base: customers with such events and a few summaries
    over them (`active`: share above zero; `mean`, `median` of the feature where known)."""
    out = []
    for family, facts in ENGAGEMENT_FACTS.items():
        flag = f"has_{family}_events"
        if flag not in base:
            continue
        members = base[base[flag].fillna(0) > 0]
        rows = []
        for feature, how, words in facts:
            if feature not in members:
                continue
            values = members[feature].astype(float)
            known = values.dropna()
            value = (None if known.empty else float((known > 0).mean()) if how == "active"
                     else float(known.mean()) if how == "mean" else float(known.median()))
            rows.append({"feature": feature, "how": how, "words": words, "value": value})
        out.append({"family": family, "customers": len(members),
                    "share_of_base": len(members) / len(base) if len(base) else None, "facts": rows})
    return out


def cutoff_of(base: pd.DataFrame) -> pd.Timestamp:
    """The scores' cutoff day."""
    return pd.Timestamp(pd.to_datetime(base["as_of"]).dt.tz_localize(None).dt.normalize().iloc[0])


def _first(share: float, n: int) -> int:
    """How many customers make the first `share` of n ranked ones (rounded up, at most n)."""
    return min(n, math.ceil(round(share * n, 9)))


def _value_edges(values: pd.Series, bins: int = 12) -> np.ndarray:
    """Value histogram edges from 0 to the 99th percentile (higher values fall into the last bin)."""
    finite = values.dropna().to_numpy(float)
    high = float(np.quantile(finite, 0.99)) if finite.size else 1.0
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    return np.linspace(low, high if high > low else low + 1.0, bins + 1)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype(float) if name in frame else pd.Series(np.nan, index=frame.index, dtype=float)


def _median(values: pd.Series) -> float | None:
    values = pd.Series(values, dtype=float).dropna()
    return float(values.median()) if len(values) else None


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
