"""Which columns of a training or scoring frame are what: ids, labels, baselines, features."""

from __future__ import annotations

import pandas as pd

ID_COLUMNS: tuple[str, ...] = ("customer_id", "as_of")
LABEL_PREFIX = "label_"


def feature_columns(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """Numeric (or boolean) model inputs: every such column that is not an id, a label or excluded."""
    return [
        c
        for c in frame.columns
        if c not in ID_COLUMNS
        and c not in exclude
        and not c.startswith(LABEL_PREFIX)
        and pd.api.types.is_numeric_dtype(frame[c])
    ]


def require_columns(frame: pd.DataFrame, columns: list[str] | tuple[str, ...], what: str) -> None:
    """Raise a ValueError naming the first missing column and what needed it."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column '{missing[0]}', which the frame lacks "
                         f"(missing: {', '.join(missing)})")
