"""One ingestion run: read, validate, publish the canonical table, quarantine and report atomically."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_directory
from features.output_lock import output_lock
from features.ingest.id_map import apply_id_map
from features.ingest.mapping import Mapping
from features.ingest.quality import quality_report, render_text
from features.ingest.readers import read_source
from features.ingest.validate import validate
from features.schema import TRANSACTIONS_FILE, to_arrow

QUARANTINE_FILE = "quarantine.parquet"
REPORT_JSON = "quality_report.json"
REPORT_TEXT = "quality_report.txt"


@dataclass(frozen=True)
class IngestResult:
    """Where the outputs went and the data-quality report."""

    out_dir: Path
    report: dict[str, Any]

    @property
    def transactions_path(self) -> Path:
        return self.out_dir / TRANSACTIONS_FILE

    @property
    def summary(self) -> str:
        return render_text(self.report)


def ingest(
    source: str | Path,
    mapping: Mapping,
    out_dir: str | Path,
    *,
    now: pd.Timestamp | None = None,
    id_map: pd.DataFrame | None = None,
) -> IngestResult:
    """Ingest `source` into `out_dir` (replaced as a whole, only if every step succeeds).

    `id_map` (source, source_customer_id -> customer_id, from `insight resolve`) re-keys rows
    that carry a source customer id to the unified customer. `out_dir` is locked for the whole
    run, so a second ingest into it is refused (OutputLocked) instead of racing this one.
    """
    with output_lock(out_dir, kind="directory"):
        return _ingest(source, mapping, Path(out_dir), now=now, id_map=id_map)


def _ingest(source: str | Path, mapping: Mapping, out: Path, *, now: pd.Timestamp | None,
            id_map: pd.DataFrame | None) -> IngestResult:
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    raw = read_source(str(source), mapping)
    result = validate(raw, mapping, now=now)
    if id_map is not None:
        result = dataclasses.replace(result, accepted=apply_id_map(result.accepted, id_map))
    report = quality_report(raw, result, mapping, str(source))
    if id_map is not None:
        report["customers_after_id_map"] = int(result.accepted["customer_id"].nunique())
    with atomic_directory(out) as tmp:
        pq.write_table(to_arrow(result.accepted), tmp / TRANSACTIONS_FILE)
        pq.write_table(pa.Table.from_pandas(result.quarantine, preserve_index=False), tmp / QUARANTINE_FILE)
        (tmp / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        (tmp / REPORT_TEXT).write_text(render_text(report) + "\n", "utf-8")
    return IngestResult(out, report)
