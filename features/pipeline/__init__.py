"""Point-in-time customer features, labels, training frames and snapshots.

One Ibis definition runs on DuckDB (default) or Spark; pandas only at the edges. Feature
definitions live in the module docstrings of rfm, gaps, windows, basket, seasonality, channels and
btyd, engagement (from events), and in docs/features.md.
"""

from features.pipeline.btyd import FEATURES as BTYD_COLUMNS
from features.pipeline.build import (
    ENGAGEMENT_COLUMNS,
    FEATURE_COLUMNS,
    FEATURE_SCHEMA_VERSION,
    build_btyd_summary,
    build_features,
    channels_seen,
)
from features.pipeline.calendar import CALENDAR_COLUMNS, calendar_features, retail_peak_days
from features.pipeline.labels import LABEL_COLUMNS, build_labels
from features.pipeline.snapshot import (
    list_snapshots,
    load_latest_snapshot,
    load_snapshot,
    save_snapshot,
    serving_snapshot,
    snapshot_path,
)
from features.pipeline.training_frame import (
    build_scoring_frame,
    build_training_frame,
    purchasers_of,
    training_cutoffs,
)

__all__ = [
    "BTYD_COLUMNS",
    "CALENDAR_COLUMNS",
    "ENGAGEMENT_COLUMNS",
    "FEATURE_COLUMNS",
    "FEATURE_SCHEMA_VERSION",
    "LABEL_COLUMNS",
    "build_btyd_summary",
    "build_features",
    "build_labels",
    "build_scoring_frame",
    "build_training_frame",
    "calendar_features",
    "channels_seen",
    "list_snapshots",
    "load_latest_snapshot",
    "load_snapshot",
    "purchasers_of",
    "retail_peak_days",
    "save_snapshot",
    "serving_snapshot",
    "snapshot_path",
    "training_cutoffs",
]
