"""Cell values as text: the one way ids, labels and timestamps are read from any source dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd


def clean_text(values: pd.Series) -> pd.Series:
    """Strings stripped of surrounding blanks; empty becomes missing. Integral floats lose '.0'."""
    if pd.api.types.is_float_dtype(values):
        integral = values.notna() & np.isfinite(values) & (values == np.floor(values))
        text = values.astype("string")
        text[integral] = values[integral].astype("int64").astype("string")
        return text
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def integral_float_text(ids: pd.Series) -> pd.Series:
    """Ids a spreadsheet wrote as floats ('17850.0'): when every present value of the column is a
    whole number with a zero fraction, the fraction is dropped ('17850'), as clean_text does for
    float cells. A column with any other value is left as it is."""
    present = ids.dropna()
    if present.empty or not present.str.fullmatch(r"-?\d+\.0+").all():
        return ids
    return ids.str.replace(r"\.0+$", "", regex=True)
