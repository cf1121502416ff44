"""One event ingestion run: read, validate, key by the unified customer, publish atomically.

The outputs mirror `insight ingest`: events.parquet, quarantine.parquet (row, field, reason) and
quality_report.{json,txt}, written together into the output directory or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_directory
from features.events.identity import KEYED_BY, Identity
from features.events.mapping import EventMapping
from features.events.schema import EVENTS_FILE, events_to_arrow
from features.events.validate import REASONS, EventValidation, validate_events
from features.ingest.readers import read_source
from features.ingest.run import QUARANTINE_FILE, REPORT_JSON, REPORT_TEXT


@dataclass(frozen=True)
class EventIngestResult:
    """Where the outputs went and the data-quality report."""

    out_dir: Path
    report: dict[str, Any]

    @property
    def events_path(self) -> Path:
        return self.out_dir / EVENTS_FILE

    @property
    def summary(self) -> str:
        return render_text(self.report)


def ingest_events(
    source: str | Path,
    mapping: EventMapping,
    out_dir: str | Path,
    *,
    now: pd.Timestamp | None = None,
    identity: Identity | None = None,
    buyers: pd.Series | None = None,
) -> EventIngestResult:
    """Ingest `source` into `out_dir` (replaced as a whole, only if every step succeeds).

    `identity` (the id map and golden records of `insight resolve`) re-keys events to unified
    customers; `buyers` (customer ids of the transactions) lets the report count prospects.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    raw = read_source(str(source), mapping)
    result = validate_events(raw, mapping, now=now, identity=identity)
    report = event_report(raw, result, mapping, str(source), buyers)
    out = Path(out_dir)
    with atomic_directory(out) as tmp:
        pq.write_table(events_to_arrow(result.accepted), tmp / EVENTS_FILE)
        pq.write_table(pa.Table.from_pandas(result.quarantine, preserve_index=False), tmp / QUARANTINE_FILE)
        (tmp / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        (tmp / REPORT_TEXT).write_text(render_text(report) + "\n", "utf-8")
    return EventIngestResult(out, report)


def event_report(raw: pd.DataFrame, result: EventValidation, mapping: EventMapping, source: str,
                 buyers: pd.Series | None) -> dict[str, Any]:
    """Rows in/accepted/quarantined by reason, events by type and channel, how customers were
    keyed, and (with `buyers`) how many customers with events never bought: prospects."""
    accepted, quarantine = result.accepted, result.quarantine
    by_reason = quarantine["reason"].value_counts().sort_index()
    customers = accepted["customer_id"].drop_duplicates()
    report: dict[str, Any] = {
        "source": source,
        "mapping": mapping.name,
        "rows_in": len(raw),
        "rows_accepted": len(accepted),
        "rows_quarantined": len(quarantine),
        "balanced": len(raw) == len(accepted) + len(quarantine),
        "quarantined_by_reason": {str(k): int(v) for k, v in by_reason.items()},
        "timestamp_forms": dict(result.timestamp_formats),
        "events_by_type": _counts(accepted["event_type"]),
        "events_by_channel": _counts(accepted["channel"]),
        "custom_event_types": result.custom_types,
        "keyed_by": {k: int(v) for k, v in result.keyed_by.value_counts().reindex(list(KEYED_BY)).dropna().items()},
        "customers": int(customers.size),
        "first_timestamp": _iso(accepted["timestamp"].min()),
        "last_timestamp": _iso(accepted["timestamp"].max()),
        "reasons": {k: REASONS[k] for k in by_reason.index},
    }
    if buyers is not None:
        known = customers.isin(set(buyers.astype("string").dropna()))
        report["customers_who_bought"] = int(known.sum())
        report["prospects"] = int((~known).sum())
        report["prospect_events"] = int((~accepted["customer_id"].isin(set(customers[known]))).sum())
    return report


def render_text(report: dict[str, Any]) -> str:
    """The report as a short readable summary (also written next to the JSON)."""
    lines = [
        f"Event data quality: {report['source']} (mapping '{report['mapping']}')",
        f"  rows in          {report['rows_in']:>12,}",
        f"  rows accepted    {report['rows_accepted']:>12,}",
        f"  rows quarantined {report['rows_quarantined']:>12,}",
    ]
    lines += [f"    {reason:<26}{count:>8,}" for reason, count in report["quarantined_by_reason"].items()]
    lines += [
        f"  accounted for    {'yes' if report['balanced'] else 'NO'}",
        "  timestamps       "
        + ("; ".join(f"{count:,} read as {form}" for form, count in report["timestamp_forms"].items()) or "-"),
        "  events by type   " + (", ".join(f"{k} {v:,}" for k, v in report["events_by_type"].items()) or "-"),
        "  by channel       " + (", ".join(f"{k} {v:,}" for k, v in report["events_by_channel"].items()) or "-"),
        "  keyed by         " + (", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in report["keyed_by"].items())
                                 or "-"),
        f"  customers        {report['customers']:>12,}",
    ]
    if "prospects" in report:
        lines.append(f"  who bought       {report['customers_who_bought']:>12,}")
        lines.append(f"  prospects        {report['prospects']:>12,} (never bought; "
                     f"{report['prospect_events']:,} events, kept)")
    lines.append(f"  date range       {report['first_timestamp']} .. {report['last_timestamp']}")
    return "\n".join(lines)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def _iso(value: pd.Timestamp) -> str | None:
    return None if pd.isna(value) else value.isoformat()
