"""Did the campaign work? Treated against control over the campaign window.

`measure` is the statistics on per-customer outcomes (converted, orders, revenue, group); it is
what the repetition studies call on simulated arrays. `campaign_report` reads the window's
transactions (and, when given, engagement events) for a stored campaign and measures them.
Conversion and the engagement rates (any open, click or visit in the window) use Newcombe's hybrid
score interval, orders and revenue per customer Welch's t interval (see `stats`); the verdict is
read off the conversion interval.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from features.atomic import atomic_file
from features.engine import parquet_source
from features.events.schema import EVENTS_FILE
from serving.campaigns import stats
from serving.campaigns.split import CONTROL, TREATED
from serving.campaigns.store import StoredCampaign

METRICS = ("conversion_rate", "orders_per_customer", "revenue_per_customer")
OUTCOME = {"conversion_rate": "converted", "orders_per_customer": "orders", "revenue_per_customer": "revenue"}
ENGAGEMENT = {"open_rate": ("email_open",), "click_rate": ("email_click", "sms_click"), "visit_rate": ("session",)}
"""Engagement rates a report adds from events: the share of members with at least one event of
these types in the window. A rate is reported only when some member has such an event."""
PROPORTIONS = ("conversion_rate", *ENGAGEMENT)
NEWCOMBE = "Newcombe hybrid score interval (method 10) for the difference of proportions"
WELCH = "Welch t interval for the difference of means"
REPORT_FILES = ("report.json", "report.txt", "report.html")


def measure(outcomes: pd.DataFrame, level: float = stats.LEVEL) -> dict:
    """Lift of treated over control from one row per member: group, converted, orders, revenue,
    and any ENGAGEMENT rate columns (0/1 per member) present."""
    groups = {g: outcomes[outcomes["group"] == g] for g in (TREATED, CONTROL)}
    n1, n0 = len(groups[TREATED]), len(groups[CONTROL])
    if n1 < 2 or n0 < 2:
        raise ValueError(f"a report needs at least two treated and two control customers, got {n1} and {n0}")
    metrics = []
    for name in (*METRICS, *(rate for rate in ENGAGEMENT if rate in outcomes.columns)):
        column = OUTCOME.get(name, name)
        x1, x0 = (groups[g][column].to_numpy(float) for g in (TREATED, CONTROL))
        if name in PROPORTIONS:
            diff = stats.newcombe_difference(int(x1.sum()), n1, int(x0.sum()), n0, level)
            method = NEWCOMBE
        else:
            diff = stats.welch_difference(x1, x0, level)
            method = WELCH
        rel = stats.relative_lift(x1.mean(), x1.var(ddof=1), n1, x0.mean(), x0.var(ddof=1), n0, level)
        metrics.append({
            "metric": name, "treated": float(x1.mean()), "control": float(x0.mean()),
            "abs_lift": diff.estimate, "rel_lift": rel.estimate if rel else None,
            "ci_low": diff.low, "ci_high": diff.high, "method": method,
            "rel_ci_low": rel.low if rel else None, "rel_ci_high": rel.high if rel else None,
        })
    by_name = {m["metric"]: m for m in metrics}
    conversion = by_name["conversion_rate"]
    base = conversion["control"]
    detectable = stats.detectable_lift(base, n1, n0)
    return {
        "treated_customers": n1,
        "control_customers": n0,
        "metrics": metrics,
        "incremental_orders": by_name["orders_per_customer"]["abs_lift"] * n1,
        "incremental_revenue": by_name["revenue_per_customer"]["abs_lift"] * n1,
        "verdict": verdict(conversion),
        "power_note": (f"the control of {n0:,} customers (against {n1:,} treated) could detect a conversion lift of "
                       f"{100 * detectable:.1f} pp at 80 % power (two-sided 5 % test, base {100 * base:.1f} %)"),
        "detectable_lift": detectable,
    }


def verdict(conversion: dict) -> str:
    """A plain sentence read off the conversion interval."""
    lift, low, high = (100 * conversion[k] for k in ("abs_lift", "ci_low", "ci_high"))
    interval = f"{lift:+.1f} pp [{low:.1f}, {high:.1f}]"
    if low > 0:
        return f"lift {interval}"
    if high < 0:
        return f"lift {interval}: the campaign lowered conversion"
    return f"no detectable effect at this size (lift {interval})"


def member_outcomes(transactions: str | os.PathLike[str], members: pd.DataFrame, start: dt.date,
                    window_days: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Each member's converted / orders / net revenue in the window (zeros when they bought
    nothing: nobody drops out), and the last timestamp in the data."""
    path = parquet_source(transactions)
    begin = pd.Timestamp(start, tz="UTC")
    end = begin + pd.Timedelta(days=window_days)
    ids = members["customer_id"].astype(str)
    rows = pd.read_parquet(path, columns=["customer_id", "order_id", "timestamp", "amount"],
                           filters=[("timestamp", ">=", begin), ("timestamp", "<", end)])
    rows = rows[rows["customer_id"].astype(str).isin(set(ids))].assign(customer_id=lambda f: f["customer_id"].astype(str))
    purchases = rows[rows["amount"] > 0]
    out = members[["customer_id", "group"]].assign(customer_id=ids).set_index("customer_id")
    out["orders"] = purchases.groupby("customer_id")["order_id"].nunique()
    out["revenue"] = rows.groupby("customer_id")["amount"].sum()
    out = out.fillna({"orders": 0.0, "revenue": 0.0})
    out["converted"] = (out["orders"] > 0).astype(float)
    last = pd.read_parquet(path, columns=["timestamp"])["timestamp"].max()
    return out.reset_index(), last


def member_engagement(events: str | os.PathLike[str], members: pd.DataFrame, start: dt.date,
                      window_days: int) -> pd.DataFrame:
    """One row per member (customer_id) with a 0/1 column per ENGAGEMENT rate that some member has
    an event for in the window; members without events get 0."""
    path = parquet_source(events, EVENTS_FILE, "insight ingest-events")
    begin = pd.Timestamp(start, tz="UTC")
    types = sorted({t for kinds in ENGAGEMENT.values() for t in kinds})
    rows = pd.read_parquet(path, columns=["customer_id", "timestamp", "event_type"],
                           filters=[("timestamp", ">=", begin), ("timestamp", "<", begin + pd.Timedelta(days=window_days)),
                                    ("event_type", "in", types)])
    ids = members["customer_id"].astype(str)
    rows = rows.assign(customer_id=rows["customer_id"].astype(str))
    rows = rows[rows["customer_id"].isin(set(ids))]
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    for rate, kinds in ENGAGEMENT.items():
        engaged = set(rows.loc[rows["event_type"].isin(kinds), "customer_id"])
        if engaged:
            out[rate] = out.index.isin(engaged).astype(float)
    return out.reset_index()


def campaign_report(stored: StoredCampaign, transactions: str | os.PathLike[str],
                    window_days: int | None = None, events: str | os.PathLike[str] | None = None) -> dict:
    """The report of a stored campaign over its window (from the day after its cutoff); with
    `events` (an `insight ingest-events` output) also the members' open, click and visit rates."""
    manifest = stored.manifest
    window = window_days or manifest["window_days"]
    if window < 1:
        raise ValueError(f"the window must be at least one day, got {window}")
    start = dt.date.fromisoformat(manifest["starts"])
    outcomes, last = member_outcomes(transactions, stored.members, start, window)
    end = pd.Timestamp(start, tz="UTC") + pd.Timedelta(days=window)
    if pd.isna(last) or last < pd.Timestamp(start, tz="UTC"):
        raise ValueError(f"{transactions}: no transactions on or after the campaign start {start}; "
                         "give --transactions data covering the campaign window")
    if events is not None:
        outcomes = outcomes.merge(member_engagement(events, stored.members, start, window), on="customer_id",
                                  how="left", validate="one_to_one")
    measured = measure(outcomes)
    report = {
        "campaign_id": manifest["campaign_id"],
        "audience": manifest["audience"],
        "rule": manifest["rule"],
        "as_of": manifest["as_of"],
        "window_days": window,
        **measured,
        "window_start": start.isoformat(),
        "window_end": (end - pd.Timedelta(days=1)).date().isoformat(),
        "window_complete": bool(last >= end - pd.Timedelta(days=1)),
        "data_end": last.date().isoformat(),
    }
    return report


def report_table(report: dict) -> str:
    """The report as a fixed-width text table with the verdict and the power note."""
    lines = [f"campaign {report['campaign_id']} ({report['audience']}): {report['treated_customers']:,} treated, "
             f"{report['control_customers']:,} control, {report['window_days']} days from {report['window_start']}",
             f"{'metric':<22}{'treated':>12}{'control':>12}{'abs lift':>12}{'95% CI':>26}{'rel lift':>10}"]
    for m in report["metrics"]:
        scale, unit = (100, " pp") if m["metric"] in PROPORTIONS else (1, "")
        fmt = "{:.1f}" if scale == 100 else "{:.3f}"
        value = (lambda v: fmt.format(scale * v))
        rel = "" if m["rel_lift"] is None else f"{100 * m['rel_lift']:+.1f} %"
        interval = f"[{value(m['ci_low'])}, {value(m['ci_high'])}]{unit}"
        lines.append(f"{m['metric']:<22}{value(m['treated']):>12}{value(m['control']):>12}"
                     f"{fmt.format(scale * m['abs_lift']):>12}{interval:>26}{rel:>10}")
    lines += [f"incremental orders {report['incremental_orders']:,.1f}, incremental revenue "
              f"{report['incremental_revenue']:,.2f}",
              f"verdict: {report['verdict']}", f"power: {report['power_note']}"]
    if not report.get("window_complete", True):
        lines.append(f"warning: the data end on {report['data_end']}, before the window ends on {report['window_end']}")
    return "\n".join(lines)


def report_html(report: dict) -> str:
    """A self-contained page: the verdict, the metrics table and how they were computed."""
    rows = []
    for m in report["metrics"]:
        rel = "" if m["rel_lift"] is None else f"{100 * m['rel_lift']:+.1f} %"
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
            m["metric"], f"{m['treated']:.4f}", f"{m['control']:.4f}", f"{m['abs_lift']:+.4f}",
            f"[{m['ci_low']:.4f}, {m['ci_high']:.4f}]", rel, m["method"])) + "</tr>")
    warning = ("" if report.get("window_complete", True) else
               f"<p class='warn'>The data end on {report['data_end']}, before the window ends.</p>")
    return "\n".join([
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>campaign {html.escape(report['campaign_id'])}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px}.verdict{font-size:1.3em}.warn{color:#a40}</style>",
        "</head><body>",
        f"<h1>Campaign {html.escape(report['campaign_id'])}</h1>",
        f"<p>audience <b>{html.escape(report['audience'])}</b> ({html.escape(report['rule'])}), scored as of "
        f"{report['as_of']}; window {report['window_start']} to {report['window_end']} ({report['window_days']} days); "
        f"{report['treated_customers']:,} treated, {report['control_customers']:,} in the random control.</p>",
        f"<p class='verdict'>{html.escape(report['verdict'])}</p>", warning,
        "<table><tr><th>metric</th><th>treated</th><th>control</th><th>lift</th><th>95 % CI</th>"
        "<th>relative</th><th>method</th></tr>", *rows, "</table>",
        f"<p>Incremental orders {report['incremental_orders']:,.1f}; incremental revenue "
        f"{report['incremental_revenue']:,.2f}.</p>",
        f"<p>{html.escape(report['power_note'])}.</p>",
        "</body></html>",
    ])


def write_report(report: dict, out: str | os.PathLike[str]) -> dict[str, Path]:
    """report.json, report.txt and report.html into `out`, each replaced atomically."""
    folder = Path(out)
    texts = {"report.json": json.dumps(_jsonable(report), indent=2), "report.txt": report_table(report),
             "report.html": report_html(report)}
    written = {}
    for name, text in texts.items():
        with atomic_file(folder / name) as tmp:
            tmp.write_text(text + "\n", "utf-8")
        written[name] = folder / name
    return written


def _jsonable(report: dict) -> dict:
    return json.loads(json.dumps(report, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))
