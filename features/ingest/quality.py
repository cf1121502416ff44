"""The data-quality report of an ingestion run: every input row accounted for."""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.ingest.mapping import Mapping
from features.ingest.validate import REASONS, ValidationResult


def quality_report(raw: pd.DataFrame, result: ValidationResult, mapping: Mapping, source: str) -> dict[str, Any]:
    """A JSON-ready summary: rows in/accepted/quarantined (by reason), customers, orders, dates, returns."""
    accepted, quarantine = result.accepted, result.quarantine
    by_reason = quarantine["reason"].value_counts().sort_index()
    rows_in = len(raw)
    returns = accepted["amount"] < 0
    gross = accepted.loc[~returns, "amount"].sum()
    per_sheet = raw.groupby("_source_sheet", sort=False).size()
    report: dict[str, Any] = {
        "source": source,
        "mapping": mapping.name,
        "rows_in": rows_in,
        "rows_accepted": len(accepted),
        "rows_quarantined": len(quarantine),
        "balanced": rows_in == len(accepted) + len(quarantine),
        "quarantined_by_reason": {str(k): int(v) for k, v in by_reason.items()},
        "rows_in_by_sheet": {str(k): int(v) for k, v in per_sheet.items() if str(k)},
        "timestamp_forms": dict(result.timestamp_formats),
        "customers": int(accepted["customer_id"].nunique()),
        "orders": int(accepted[["customer_id", "order_id"]].drop_duplicates().shape[0]),
        "first_timestamp": _iso(accepted["timestamp"].min()),
        "last_timestamp": _iso(accepted["timestamp"].max()),
        "return_lines": int(returns.sum()),
        "return_line_share": _ratio(int(returns.sum()), len(accepted)),
        "return_value_share": _ratio(float(-accepted.loc[returns, "amount"].sum()), float(gross)),
        "net_amount": round(float(accepted["amount"].sum()), 2),
        "treatment": {
            "exact_duplicates": (
                f"quarantined as 'exact_duplicate' (first copy kept): {by_reason.get('exact_duplicate', 0)} lines"
                if mapping.rules.duplicates == "quarantine"
                else f"kept as separate purchases: {result.duplicates_kept} lines repeat an earlier line"
            ),
            "zero_amounts": (
                f"kept with amount 0: {result.zero_amount_kept} lines"
                if mapping.rules.zero_amount == "keep"
                else f"quarantined as 'zero_amount': {by_reason.get('zero_amount', 0)} lines"
            ),
            "returns": "kept as negative amounts"
            + (
                f"; orders whose id starts with '{mapping.rules.cancellation_prefix}' are cancellations"
                if mapping.rules.cancellation_prefix
                else ""
            ),
            "orders": (
                "one order per customer and day"
                if mapping.rules.order_id == "customer_day"
                else f"from column '{mapping.columns.resolved(raw.columns)['order_id']}'"
            ),
        },
        "reasons": {k: REASONS[k] for k in by_reason.index},
    }
    if result.line_classes:
        report["line_classes"] = result.line_classes
    return report


def render_text(report: dict[str, Any]) -> str:
    """The report as a short readable summary (also written next to the JSON)."""
    lines = [
        f"Data quality: {report['source']} (mapping '{report['mapping']}')",
        f"  rows in          {report['rows_in']:>12,}",
        f"  rows accepted    {report['rows_accepted']:>12,}",
        f"  rows quarantined {report['rows_quarantined']:>12,}",
    ]
    for reason, count in report["quarantined_by_reason"].items():
        lines.append(f"    {reason:<26}{count:>8,}")
    lines += [
        f"  accounted for    {'yes' if report['balanced'] else 'NO'}",
        "  timestamps       "
        + ("; ".join(f"{count:,} read as {form}" for form, count in report["timestamp_forms"].items()) or "-"),
        f"  customers        {report['customers']:>12,}",
        f"  orders           {report['orders']:>12,}",
        f"  date range       {report['first_timestamp']} .. {report['last_timestamp']}",
        f"  return lines     {report['return_lines']:>12,} ({report['return_line_share']:.1%} of lines, "
        f"{report['return_value_share']:.1%} of gross value)",
    ]
    for key, text in report["treatment"].items():
        lines.append(f"  {key.replace('_', ' '):<17}{text}")
    if report.get("line_classes"):
        lines.append("  non-product lines (class: lines, accepted, source amount, treatment)")
        for name, row in report["line_classes"].items():
            lines.append(f"    {name:<24}{row['lines']:>8,}{row['accepted']:>8,}{row['amount']:>14,.2f}  "
                         f"{row['treatment'].replace('_', ' ')}")
    return "\n".join(lines)


def _iso(value: pd.Timestamp) -> str | None:
    return None if pd.isna(value) else value.isoformat()


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 6) + 0.0 if whole else 0.0
