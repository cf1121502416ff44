"""What the insight report reads besides the scored base: audiences, campaigns, the ingest
report and the champion's training reference (for drift), each turned into plain data.

Missing inputs give None (the report says what to run); unreadable ones a ValueError naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from training.drift import FeatureReference

AGEING_FEATURES = frozenset({"recency_days", "tenure_days", "btyd_T", "days_since_return", "overdue_ratio",
                             "active_months", "orders", "spend_total", "btyd_frequency", "btyd_recency"})
"""Features that move on their own as a base gets older: days since an event grow, totals accumulate."""
NOTABLE_PSI = 0.1
SHIFTED_PSI = 0.25


def read_json(path: Path, what: str) -> dict:
    """A JSON file written by this project; a ValueError naming it when unreadable."""
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: not found; {what}") from exc
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not readable as JSON ({str(exc).splitlines()[0]})") from exc


def audiences(folder: str | os.PathLike[str], campaigns: list[dict] | None = None) -> dict:
    """Each audience of an `insight audiences` run with its size, the customers eligible but
    placed in an earlier audience, its control group and, if a campaign was made, its result."""
    summary = read_json(Path(folder) / "summary.json", "give --audiences a directory written by `insight audiences`")
    by_audience: dict[str, list[dict]] = {}
    for campaign in campaigns or []:
        by_audience.setdefault(campaign["audience"], []).append(campaign)
    lists = []
    for entry in summary["audiences"]:
        share = float(entry.get("control_share", 0.1))
        runs = [c for c in by_audience.get(entry["audience"], [])
                if str(c.get("as_of", ""))[:10] == summary.get("as_of", str(c.get("as_of", "")))[:10]]
        lists.append({
            "name": entry["audience"],
            "description": summary.get("descriptions", {}).get(entry["audience"], ""),
            "rule": entry["rule"],
            "customers": int(entry["customers"]),
            "eligible": int(entry["eligible"]),
            "placed_elsewhere": int(entry["eligible"]) - int(entry["customers"]),
            "control_share": share,
            "planned_control": round(int(entry["customers"]) * share),
            "campaigns": runs,
        })
    return {"customers_scored": summary.get("customers_scored"), "placed": summary.get("customers_in_an_audience"),
            "min_control_size": summary.get("min_control_size"), "as_of": summary.get("as_of"), "lists": lists}


def campaigns(store: str | os.PathLike[str] | None = None) -> list[dict]:
    """Every stored campaign with its sizes and, where `insight campaign report` wrote one beside
    the store, the measured conversion lift with its interval."""
    from serving.campaigns.store import list_campaigns, store_path

    folder = store_path(store).parent / "campaigns"
    out = []
    for manifest in list_campaigns(store):
        found = folder / manifest["campaign_id"] / "report.json"
        report = read_json(found, "") if found.exists() else None
        conversion = next((m for m in report["metrics"] if m["metric"] == "conversion_rate"), None) if report else None
        out.append({
            "campaign_id": manifest["campaign_id"], "audience": manifest["audience"], "as_of": manifest["as_of"],
            "treated": int(manifest["treated_customers"]), "control": int(manifest["control_customers"]),
            "window_days": manifest.get("window_days"),
            "report": None if conversion is None else {
                "lift": conversion["abs_lift"], "low": conversion["ci_low"], "high": conversion["ci_high"],
                "treated_rate": conversion["treated"], "control_rate": conversion["control"],
                "incremental_revenue": report.get("incremental_revenue"), "verdict": report.get("verdict"),
                "window_complete": report.get("window_complete", True)},
        })
    return out


def quality(folder: str | os.PathLike[str]) -> dict:
    """The ingest run's data-quality report: rows in, accepted and quarantined by reason."""
    from features.ingest.run import REPORT_JSON

    report = read_json(Path(folder) / REPORT_JSON, "give --ingest-report a directory written by `insight ingest`")
    return {key: report.get(key) for key in ("source", "rows_in", "rows_accepted", "rows_quarantined", "balanced",
                                              "quarantined_by_reason", "customers", "orders", "first_timestamp",
                                              "last_timestamp", "return_line_share")}


def drift(base: pd.DataFrame, reference: FeatureReference | None, trained_as_of: str | None) -> dict:
    """PSI of each feature against the champion's training data, with what it means: features that
    move as a base ages are expected to drift when the base is scored long after training."""
    if reference is None:
        return {"available": False, "features": []}
    as_of = pd.Timestamp(pd.to_datetime(base["as_of"]).iloc[0]).tz_localize(None).normalize()
    trained = pd.Timestamp(trained_as_of) if trained_as_of else None
    older = int((as_of - trained).days) if trained is not None else None
    scores = reference.psi(base)
    rows = []
    for feature, value in scores.items():
        if value < NOTABLE_PSI:
            continue
        cut = reference.edges[feature]
        median = float(cut[len(cut) // 2]) if len(cut) else np.nan
        current = base[feature].to_numpy(dtype=float)
        current = current[np.isfinite(current)]
        above = float(np.mean(current > median)) if np.isfinite(median) and current.size else None
        rows.append({"feature": feature, "psi": float(value), "shifted": bool(value > SHIFTED_PSI),
                     "ageing": feature in AGEING_FEATURES and bool(older and older > 0),
                     "reference_median": median, "share_above_reference_median": above})
    return {"available": True, "trained_as_of": trained.date().isoformat() if trained is not None else None,
            "days_since_training": older, "features_checked": len(scores), "features": rows}
