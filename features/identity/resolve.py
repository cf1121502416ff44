"""The resolve job: customer records -> id map, golden records, scored pairs, merge log and report.

Steps: normalise, link by deterministic rules, score the rest with the splink model, link pairs at
or above the threshold, take connected components, give them stable ids (keeping the ids of an
earlier run found in the output directory), build golden records. Outputs are written together
or not at all. Ingest re-keys transactions by the id map with `features.ingest.id_map`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_directory
from features.engine import Engine, check_engine
from features.identity.clusters import (
    ID_MAP_COLUMNS,
    IdHistory,
    assign_ids,
    cluster_labels,
    empty_merges,
)
from features.identity.golden import golden_records
from features.identity.intake import QUARANTINE_COLUMNS
from features.identity.linkage import score_pairs
from features.identity.normalize import DEFAULT_COUNTRY, MAX_RECORDS_PER_VALUE, normalize_records
from features.identity.records import KEY_COLUMNS
from features.identity.report import build_report, render_text
from features.identity.rules import deterministic_pairs

DEFAULT_THRESHOLD = 0.95
AUDIT_FLOOR = 0.5
ID_MAP_FILE = "id_map.parquet"
GOLDEN_FILE = "golden_records.parquet"
PAIRS_FILE = "pairs.parquet"
MERGES_FILE = "merges.parquet"
QUARANTINE_FILE = "quarantine.parquet"
MODEL_FILE = "model.json"
STATE_FILE = "id_state.json"
REPORT_JSON = "report.json"
REPORT_TEXT = "report.txt"


@dataclass(frozen=True)
class ResolveConfig:
    """Settings of one resolution run.

    threshold: match probability at or above which a scored pair links two records.
    default_country: region for phone numbers and dates written without a country.
    max_records_per_value: an email, phone or card shared by more records is a placeholder.
    seed: for splink's random sampling of u-probabilities and the review sample.
    """

    engine: Engine = Engine.duckdb
    threshold: float = DEFAULT_THRESHOLD
    default_country: str = DEFAULT_COUNTRY
    max_records_per_value: int = MAX_RECORDS_PER_VALUE
    seed: int = 42

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", check_engine(self.engine))
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be a probability strictly between 0 and 1, got {self.threshold}")


@dataclass(frozen=True)
class Resolution:
    """Everything one run produces (see `write_resolution` for the files)."""

    id_map: pd.DataFrame
    golden: pd.DataFrame
    pairs: pd.DataFrame
    merges: pd.DataFrame
    quarantine: pd.DataFrame
    model: dict[str, Any]
    last_issued: int
    report: dict[str, Any]


def resolve(records: pd.DataFrame, *, config: ResolveConfig = ResolveConfig(),
            history: IdHistory | None = None, quarantine: pd.DataFrame | None = None,
            run_at: pd.Timestamp | None = None, today: date | None = None, spark: Any = None,
            model: dict[str, Any] | None = None, files: dict[str, dict[str, Any]] | None = None) -> Resolution:
    """Resolve `records` (record contract, one row per source record, keys unique).

    `history` holds the ids of an earlier run to keep; `model` a splink model saved by an earlier
    run (model.json) to reuse instead of training one; `files` the intake's counts per input file
    (`RecordIntake.files`), repeated in the report.
    """
    if records[list(KEY_COLUMNS)].duplicated().any():
        row = records[records[list(KEY_COLUMNS)].duplicated()].iloc[0]
        raise ValueError(f"record ({row['source']}, {row['source_customer_id']}) appears twice; "
                         f"read records with intake.read_record_files, which keeps the latest")
    if len(records) < 2:
        raise ValueError(f"identity resolution needs at least 2 records, got {len(records)}")
    history = IdHistory.empty() if history is None else history
    run_at = pd.Timestamp.now(tz="UTC") if run_at is None else run_at
    records = records.reset_index(drop=True)
    normalized = normalize_records(records, default_country=config.default_country,
                                   max_records_per_value=config.max_records_per_value, today=today)
    normalized["unique_id"] = np.arange(len(normalized), dtype=np.int64)
    ruled = deterministic_pairs(normalized)
    scored = score_pairs(normalized, engine=config.engine, spark=spark, seed=config.seed,
                         min_probability=min(AUDIT_FLOOR, config.threshold), model=model)
    pairs = link_pairs(ruled, scored.pairs, config.threshold)
    linked = pairs[pairs["linked"]]
    labels = cluster_labels(len(records), linked["unique_id_l"].to_numpy(), linked["unique_id_r"].to_numpy())
    assignment = assign_ids(records[list(KEY_COLUMNS)], labels, history, run_at=run_at)
    id_map = records[list(KEY_COLUMNS)].assign(customer_id=assignment.customer_ids)
    quarantine = _empty_quarantine() if quarantine is None else quarantine
    ids = {"new": assignment.new_ids, "kept": assignment.kept_ids, "merged": assignment.merged_ids,
           "records_moved": assignment.moved_records, "last_issued": assignment.last_issued}
    report = build_report(records=records, quarantined=quarantine, pairs=pairs,
                          customer_ids=assignment.customer_ids, ids=ids, settings=asdict(config),
                          files=files)
    return Resolution(
        id_map=id_map[list(ID_MAP_COLUMNS)],
        golden=golden_records(records, normalized, assignment.customer_ids),
        pairs=audit_pairs(pairs, id_map),
        merges=assignment.merges,
        quarantine=quarantine,
        model=scored.model,
        last_issued=assignment.last_issued,
        report=report,
    )


def link_pairs(ruled: pd.DataFrame, scored: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Every pair a rule linked or the model scored, with the rule that linked it (a deterministic
    rule's name, "probabilistic" at or above `threshold`, missing when not linked).

    The model links two records only when their names agree (positive name weight), however
    much else they share: households share addresses, phones and emails, not names.
    """
    pairs = scored.merge(ruled, on=["unique_id_l", "unique_id_r"], how="outer")
    names_agree = pairs["mw_name"].gt(0).fillna(False).astype(bool)
    above = pairs["match_probability"].ge(threshold).fillna(False).astype(bool) & names_agree
    by_model = pd.Series(pd.NA, index=pairs.index, dtype="string").mask(above, "probabilistic")
    pairs["rule"] = pairs["rule"].astype("string").fillna(by_model)
    pairs["linked"] = pairs["rule"].notna()
    return pairs.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)


def audit_pairs(pairs: pd.DataFrame, id_map: pd.DataFrame) -> pd.DataFrame:
    """Pairs keyed by source ids instead of row positions, with both records' customer ids."""
    keys = id_map.reset_index(drop=True)
    left = keys.add_suffix("_l").loc[pairs["unique_id_l"]].reset_index(drop=True)
    right = keys.add_suffix("_r").loc[pairs["unique_id_r"]].reset_index(drop=True)
    rest = pairs.drop(columns=["unique_id_l", "unique_id_r"]).reset_index(drop=True)
    return pd.concat([left, right, rest], axis=1)


def load_history(directory: str | Path) -> IdHistory:
    """The ids an earlier run wrote to `directory` (empty history when there is none)."""
    directory = Path(directory)
    if not (directory / ID_MAP_FILE).exists():
        return IdHistory.empty()
    merges = (pd.read_parquet(directory / MERGES_FILE) if (directory / MERGES_FILE).exists()
              else empty_merges())
    state = json.loads((directory / STATE_FILE).read_text("utf-8")) if (directory / STATE_FILE).exists() else {}
    return IdHistory(pd.read_parquet(directory / ID_MAP_FILE), merges, int(state.get("last_issued", 0)))


def write_resolution(resolution: Resolution, out_dir: str | Path) -> Path:
    """Write every output into `out_dir`, replacing it as a whole only when all are written."""
    out = Path(out_dir)
    with atomic_directory(out) as tmp:
        _write_parquet(resolution.id_map, tmp / ID_MAP_FILE)
        _write_parquet(resolution.golden, tmp / GOLDEN_FILE)
        _write_parquet(resolution.pairs, tmp / PAIRS_FILE)
        _write_parquet(resolution.merges, tmp / MERGES_FILE)
        _write_parquet(resolution.quarantine, tmp / QUARANTINE_FILE)
        (tmp / MODEL_FILE).write_text(json.dumps(resolution.model, indent=2) + "\n", "utf-8")
        (tmp / STATE_FILE).write_text(json.dumps({"last_issued": resolution.last_issued}) + "\n", "utf-8")
        (tmp / REPORT_JSON).write_text(json.dumps(resolution.report, indent=2, default=str) + "\n", "utf-8")
        (tmp / REPORT_TEXT).write_text(render_text(resolution.report) + "\n", "utf-8")
    return out


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet without pandas' own metadata: its Arrow list dtypes do not read back in pandas 3."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path)


def _empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "string")
                         for c in QUARANTINE_COLUMNS})
