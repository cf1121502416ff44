"""Feature snapshot store: one Parquet file per cutoff, per feature schema version.

Layout: <root>/schema_v<version>/features_<YYYY-MM-DD>.parquet. The cutoff and the schema version
are also written to the Parquet key-value metadata and checked on load, so a file that was renamed
or copied into the wrong place is refused rather than served. Only snapshots of the current
FEATURE_SCHEMA_VERSION are found; older ones stay on disk until removed by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_file
from features.pipeline.build import FEATURE_SCHEMA_VERSION
from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA, days_past_data
from features.pipeline.dates import as_cutoff_date

log = logging.getLogger(__name__)

AS_OF_KEY = b"customer_insight.as_of"
SCHEMA_VERSION_KEY = b"customer_insight.feature_schema_version"
SNAPSHOT_LOCK_WAIT_SECONDS = 30.0
"""Two runs of one cutoff write the same snapshot: the second waits for the first's short write."""
_FILE_NAME = re.compile(r"^features_(\d{4}-\d{2}-\d{2})\.parquet$")
_RECENCY = ["recency_days"]


def snapshot_path(root: str | os.PathLike[str], as_of: dt.date | str) -> Path:
    """Where the snapshot for `as_of` lives under `root` for the current schema version."""
    cutoff = as_cutoff_date(as_of)
    return Path(root) / f"schema_v{FEATURE_SCHEMA_VERSION}" / f"features_{cutoff.isoformat()}.parquet"


def save_snapshot(features_df: pd.DataFrame, as_of: dt.date | str, root: str | os.PathLike[str]) -> Path:
    """Write a build_features() table as the snapshot for `as_of` (replacing any earlier one)."""
    cutoff = as_cutoff_date(as_of)
    if "customer_id" not in features_df.columns:
        raise ValueError("features_df has no customer_id column; pass the output of build_features()")
    ids = features_df["customer_id"]
    if ids.isna().any() or ids.duplicated().any():
        raise ValueError("features_df must have exactly one row per non-null customer_id")
    table = pa.Table.from_pandas(features_df, preserve_index=False)
    metadata = {
        **(table.schema.metadata or {}),
        AS_OF_KEY: cutoff.isoformat().encode(),
        SCHEMA_VERSION_KEY: str(FEATURE_SCHEMA_VERSION).encode(),
    }
    path = snapshot_path(root, cutoff)
    with atomic_file(path, wait_seconds=SNAPSHOT_LOCK_WAIT_SECONDS) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
    return path


def list_snapshots(root: str | os.PathLike[str]) -> list[dt.date]:
    """Cutoffs with a snapshot of the current schema version under `root`, oldest first."""
    folder = Path(root) / f"schema_v{FEATURE_SCHEMA_VERSION}"
    if not folder.is_dir():
        return []
    names = (_FILE_NAME.match(entry.name) for entry in folder.iterdir() if entry.is_file())
    return sorted(dt.date.fromisoformat(match.group(1)) for match in names if match)


def load_snapshot(root: str | os.PathLike[str], as_of: dt.date | str) -> pd.DataFrame:
    """The snapshot for `as_of`, indexed by customer_id (look customers up with `.loc[ids]`)."""
    cutoff = as_cutoff_date(as_of)
    path = snapshot_path(root, cutoff)
    if not path.exists():
        available = ", ".join(day.isoformat() for day in list_snapshots(root)) or "none"
        raise FileNotFoundError(
            f"no feature snapshot for {cutoff} (schema v{FEATURE_SCHEMA_VERSION}) under '{root}'; "
            f"available: {available}"
        )
    table = pq.read_table(path)
    _check_metadata(table.schema.metadata or {}, cutoff, path)
    return table.to_pandas().set_index("customer_id", verify_integrity=True)


def load_latest_snapshot(root: str | os.PathLike[str]) -> tuple[pd.DataFrame, dt.date]:
    """The most recent snapshot of the current schema version and its cutoff."""
    cutoffs = list_snapshots(root)
    if not cutoffs:
        raise FileNotFoundError(
            f"no feature snapshot of schema v{FEATURE_SCHEMA_VERSION} under '{root}'; "
            f"build features and save them with save_snapshot() first"
        )
    return load_snapshot(root, cutoffs[-1]), cutoffs[-1]


def serving_snapshot(root: str | os.PathLike[str], *, max_days_past_data: int = DEFAULT_MAX_DAYS_PAST_DATA,
                     as_of: dt.date | None = None) -> tuple[pd.DataFrame, dt.date]:
    """The snapshot a service should serve and its cutoff: `as_of`'s when given, else the newest
    one whose cutoff lies at most `max_days_past_data` after its newest purchase.

    A snapshot scored far past its data (e.g. `insight score --as-of 2030-01-01 --allow-future`
    on a log ending in 1998) makes every customer look churned, so it is passed over unless named.
    """
    if as_of is not None:
        return load_snapshot(root, as_of), as_cutoff_date(as_of)
    cutoffs = list_snapshots(root)
    if not cutoffs:
        return load_latest_snapshot(root)
    passed_over = []
    for cutoff in reversed(cutoffs):
        path = snapshot_path(root, cutoff)
        columns = [name for name in _RECENCY if name in pq.read_schema(path).names]
        gap = days_past_data(pd.read_parquet(path, columns=columns))
        if gap is None or gap <= max_days_past_data:
            if passed_over:
                log.warning("serving the snapshot of %s; passed over %s", cutoff, "; ".join(passed_over))
            return load_snapshot(root, cutoff), cutoff
        passed_over.append(f"{cutoff} ({gap:,} days after its newest purchase)")
    raise FileNotFoundError(
        f"every feature snapshot under '{root}' lies more than {max_days_past_data} days after its newest purchase: "
        f"{'; '.join(passed_over)}; score a cutoff within the data (`insight score --as-of`) or name the one to "
        f"serve with INSIGHT_SNAPSHOT_AS_OF={cutoffs[-1]}"
    )


def _check_metadata(metadata: dict[bytes, bytes], as_of: dt.date, path: Path) -> None:
    stored = (metadata.get(AS_OF_KEY, b"").decode(), metadata.get(SCHEMA_VERSION_KEY, b"").decode())
    expected = (as_of.isoformat(), str(FEATURE_SCHEMA_VERSION))
    if stored != expected:
        raise ValueError(
            f"'{path}' holds as_of={stored[0] or '?'}, schema v{stored[1] or '?'} in its metadata, "
            f"but its location says as_of={expected[0]}, schema v{expected[1]}; rebuild the snapshot"
        )
