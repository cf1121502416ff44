"""Non-product lines: which lines of a source are postage, fees or adjustments rather than goods.

A mapping's `[[line_classes]]` (see `mapping.LineClass`) names each kind of line by a readable rule;
`classify` gives every raw line the first class it matches, and `LineClassResult` carries what each
treatment needs. The report counts every class, so a fee is never a purchase of goods by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.ingest.mapping import LineClass, Mapping
from features.ingest.text import clean_text


@dataclass(frozen=True)
class LineClasses:
    """Per raw line: its class name (missing for ordinary lines)."""

    names: pd.Series
    classes: tuple[LineClass, ...]

    def rows(self, treatment: str) -> pd.Series:
        """True for the lines whose class has `treatment`."""
        chosen = {c.name for c in self.classes if c.treatment == treatment}
        return self.names.isin(chosen).fillna(False).astype(bool)

    def summary(self, accepted: pd.Series, gross_amount: pd.Series) -> dict[str, dict]:
        """For each class: treatment, lines, lines accepted and their summed source amount."""
        out = {}
        for line_class in self.classes:
            mine = (self.names == line_class.name).fillna(False).to_numpy()
            out[line_class.name] = {
                "treatment": line_class.treatment,
                "description": line_class.description,
                "lines": int(mine.sum()),
                "accepted": int((mine & accepted.to_numpy()).sum()),
                "amount": round(float(np.nansum(gross_amount.to_numpy()[mine])), 2),
            }
        return out


def classify(raw: pd.DataFrame, mapping: Mapping, columns: dict[str, str], customer_id: pd.Series,
             unit_price: pd.Series | None) -> LineClasses:
    """The first class of `mapping.line_classes` each line of `raw` matches."""
    names = pd.Series(pd.NA, index=raw.index, dtype="string")
    product = clean_text(raw[columns["product_id"]]) if "product_id" in columns else None
    for line_class in mapping.line_classes:
        match = pd.Series(True, index=raw.index)
        if line_class.product_ids or line_class.product_id_prefixes:
            codes = product.fillna("")
            by_code = codes.isin(line_class.product_ids)
            for prefix in line_class.product_id_prefixes:
                by_code |= codes.str.startswith(prefix)
            match &= by_code
        if line_class.unit_price == "zero":
            match &= unit_price.eq(0).fillna(False)
        elif line_class.unit_price == "negative":
            match &= unit_price.lt(0).fillna(False)
        if line_class.customer_id == "missing":
            match &= customer_id.isna()
        names[match.astype(bool) & names.isna()] = line_class.name
    return LineClasses(names, tuple(mapping.line_classes))
