"""The resolution report: what came in, what was linked and why, and what a person should review."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

HISTOGRAM_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9)
REVIEW_SAMPLE = 20
REVIEW_FIELDS = ("full_name", "email", "phone", "date_of_birth", "city", "loyalty_card")


def cluster_size_histogram(customer_ids: pd.Series) -> dict[str, int]:
    """Number of customers by how many source records they have ("10+" for ten or more)."""
    sizes = customer_ids.value_counts().to_numpy()
    histogram = {str(k): int((sizes == k).sum()) for k in HISTOGRAM_SIZES}
    histogram[f"{HISTOGRAM_SIZES[-1] + 1}+"] = int((sizes > HISTOGRAM_SIZES[-1]).sum())
    return histogram


def borderline_pairs(pairs: pd.DataFrame, records: pd.DataFrame, *, threshold: float,
                     sample: int = REVIEW_SAMPLE, seed: int = 0) -> list[dict[str, Any]]:
    """A seeded sample of scored pairs close to the threshold (within 3 match-weight bits either
    side) that no deterministic rule decided, with both records, for a person to check."""
    weight = float(np.log2(threshold / (1 - threshold))) if threshold < 1 else np.inf
    undecided = pairs["rule"].isna() | (pairs["rule"] == "probabilistic")
    near = pairs[undecided & ((pairs["match_weight"] - weight).abs() <= 3)]
    chosen = near.sample(n=min(sample, len(near)), random_state=seed).sort_values("match_weight")
    shown = [*("source", "source_customer_id"), *REVIEW_FIELDS]
    out = []
    for row in chosen.itertuples(index=False):
        out.append(
            {
                "match_probability": round(float(row.match_probability), 4),
                "match_weight": round(float(row.match_weight), 2),
                "linked": bool(row.linked),
                "left": _plain(records.loc[row.unique_id_l, shown]),
                "right": _plain(records.loc[row.unique_id_r, shown]),
            }
        )
    return out


def build_report(*, records: pd.DataFrame, quarantined: pd.DataFrame, pairs: pd.DataFrame,
                 customer_ids: pd.Series, ids: dict[str, int], settings: dict[str, Any],
                 files: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report as plain data (written as report.json and, rendered, report.txt).

    `files` (records in / resolved / quarantined by reason per input file) comes from the intake.
    """
    linked = pairs[pairs["linked"]]
    return {
        "settings": settings,
        "records_in": int(len(records) + len(quarantined)),
        "records_resolved": int(len(records)),
        "records_quarantined": int(len(quarantined)),
        "quarantined_by_reason": {str(k): int(v) for k, v in quarantined["reason"].value_counts().items()},
        "records_by_source": {str(k): int(v) for k, v in records["source"].value_counts().sort_index().items()},
        "records_by_file": files or {},
        "customers": int(customer_ids.nunique()),
        "cluster_sizes": cluster_size_histogram(customer_ids),
        "pairs_scored": int(len(pairs)),
        "pairs_linked": int(len(linked)),
        "links_by_rule": {str(k): int(v) for k, v in linked["rule"].value_counts().sort_index().items()},
        "ids": ids,
        "borderline_pairs": borderline_pairs(pairs, records, threshold=settings["threshold"],
                                             seed=settings["seed"]),
    }


def render_text(report: dict[str, Any]) -> str:
    """The report for people: counts, histogram, links by rule and the review sample."""
    s = report["settings"]
    lines = [
        f"identity resolution ({s['engine']}, threshold {s['threshold']})",
        f"records in:        {report['records_in']:,}",
        f"  resolved:        {report['records_resolved']:,}",
        f"  quarantined:     {report['records_quarantined']:,}"
        + "".join(f"  {k}: {v:,}" for k, v in report["quarantined_by_reason"].items()),
        "  by source:       " + ", ".join(f"{k} {v:,}" for k, v in report["records_by_source"].items()),
        *_file_lines(report.get("records_by_file", {})),
        f"customers:         {report['customers']:,}",
        "  records per customer: " + ", ".join(f"{k}: {v:,}" for k, v in report["cluster_sizes"].items()),
        f"pairs scored:      {report['pairs_scored']:,}",
        f"pairs linked:      {report['pairs_linked']:,}",
        "  by rule:         " + ", ".join(f"{k} {v:,}" for k, v in report["links_by_rule"].items()),
        "ids:               " + ", ".join(f"{k} {v:,}" for k, v in report["ids"].items()),
        f"borderline pairs to review ({len(report['borderline_pairs'])}):",
    ]
    for pair in report["borderline_pairs"]:
        verdict = "linked" if pair["linked"] else "not linked"
        lines.append(f"  p={pair['match_probability']:.4f} w={pair['match_weight']:+.1f} {verdict}")
        for side in ("left", "right"):
            lines.append("    " + " | ".join(str(pair[side].get(f) or "-") for f in
                                             ("source", "source_customer_id", *REVIEW_FIELDS)))
    return "\n".join(lines)


def _file_lines(files: dict[str, dict[str, Any]]) -> list[str]:
    """One line per input file: records in, resolved, quarantined by reason, and its mapping."""
    lines = ["  by file:"] if files else []
    for path, c in files.items():
        reasons = "".join(f"  {k}: {v:,}" for k, v in c["quarantined_by_reason"].items())
        mapping = f" (mapping {c['mapping']})" if c.get("mapping") else ""
        lines.append(f"    {path}{mapping}: {c['records_in']:,} in, {c['records_resolved']:,} resolved, "
                     f"{c['records_quarantined']:,} quarantined{reasons}")
    return lines


def _plain(row: pd.Series) -> dict[str, str | None]:
    return {k: (None if pd.isna(v) else str(v)) for k, v in row.items()}
