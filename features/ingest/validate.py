"""Row-level validation: every raw row becomes a canonical row or a quarantined row with a reason.

Checks run in a fixed order and the first failing one names the row's reason, so counts by reason
always add up to the rows quarantined. Returns and cancellations are valid rows with negative
amounts, never quarantined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.ingest.line_classes import classify
from features.ingest.mapping import Mapping, ParseOptions
from features.ingest.readers import BOOKKEEPING, SourceError, delimiter_hint
from features.ingest.text import clean_text, integral_float_text
from features.ingest.timestamps import looks_like_epoch, read_timestamps
from features.schema import to_canonical_frame

REASONS: dict[str, str] = {
    "missing_customer_id": "the customer id is empty",
    "invalid_customer_id": "the customer id holds a control character (NUL, tab, newline) or is "
                           "longer than rules.max_id_length",
    "missing_timestamp": "the timestamp is empty",
    "unparseable_timestamp": "the timestamp cannot be read (with the mapping's format or unit, if given)",
    "timestamp_before_floor": "the timestamp is before rules.min_timestamp",
    "timestamp_in_future": "the timestamp is after the time of the run",
    "missing_amount": "the amount (or quantity / unit price) is empty",
    "non_numeric_amount": "the amount is not a finite number",
    "non_numeric_quantity": "the quantity is not a finite number",
    "non_numeric_unit_price": "the unit price is not a finite number",
    "quantity_out_of_range": "the quantity is beyond +/- rules.max_abs_quantity",
    "amount_out_of_range": "the amount (or quantity x unit price) is beyond +/- rules.max_abs_amount",
    "negative_unit_price": "the unit price is negative (an adjustment, not a sale or a return)",
    "missing_order_id": "the order id is empty",
    "invalid_order_id": "the order id holds a control character or is longer than rules.max_id_length",
    "exact_duplicate": "the line repeats an earlier line exactly (the first copy is kept)",
    "non_product_line": "a line class of the mapping (postage, fee, adjustment) that is not a purchase of goods",
    "zero_amount": "the amount is zero and rules.zero_amount = 'quarantine'",
}

_NOT_A_NUMBER = " is not a finite number"

QUARANTINE_COLUMNS = ("source_file", "source_sheet", "source_row", "reason", "field", "detail", "raw")


@dataclass(frozen=True)
class ValidationResult:
    """Canonical accepted rows, quarantined rows with reasons, and what the rules did."""

    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    zero_amount_kept: int
    duplicates_kept: int
    timestamp_formats: dict[str, int] = field(default_factory=dict)
    line_classes: dict[str, dict] = field(default_factory=dict)
    """Per non-product line class: treatment, lines, lines accepted, summed source amount."""


class Verdicts:
    """The first failing check per row: reason code, canonical field and a readable detail."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype="string")
        self.field = pd.Series(pd.NA, index=index, dtype="string")
        self.detail = pd.Series(pd.NA, index=index, dtype="string")

    def flag(self, mask: pd.Series, reason: str, field: str,
             detail: pd.Series | str | Callable[[pd.Series], pd.Series]) -> None:
        """Give `reason` to rows in `mask` without one yet; a callable detail gets just those rows."""
        new = mask & self.reason.isna()
        if not new.any():
            return
        if callable(detail):
            detail = detail(new).reindex(self.detail.index)
        self.reason[new] = reason
        self.field[new] = field
        self.detail[new] = detail[new] if isinstance(detail, pd.Series) else detail

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()


def validate(raw: pd.DataFrame, mapping: Mapping, *, now: pd.Timestamp) -> ValidationResult:
    """Validate `raw` (from readers.read_source) against `mapping`; pure, no I/O."""
    columns = mapping.columns.resolved(raw.columns)
    source_columns = [c for c in raw.columns if c not in BOOKKEEPING]
    require_columns(raw, columns, mapping)
    verdicts = Verdicts(raw.index)

    def shown(name: str, text: pd.Series | str) -> Callable[[pd.Series], pd.Series]:
        """A detail quoting the source value of `name`, built only for the rows flagged."""
        def detail(rows: pd.Series) -> pd.Series:
            said = "value '" + raw.loc[rows, columns[name]].astype("string").fillna("") + "'"
            return said + (text[rows] if isinstance(text, pd.Series) else text)
        return detail

    customer_id = integral_float_text(_clean_id(raw[columns["customer_id"]]))
    price = parse_numbers(raw[columns["unit_price"]], mapping.parse) if "unit_price" in columns else None
    classes = classify(raw, mapping, columns, customer_id, price)
    verdicts.flag(customer_id.isna(), "missing_customer_id", "customer_id", REASONS["missing_customer_id"])
    flag_bad_ids(customer_id, "customer_id", mapping, verdicts)

    ts_raw = raw[columns["timestamp"]]
    parsed = read_timestamps(ts_raw, mapping.parse)
    timestamp = parsed.values
    verdicts.flag(is_blank(ts_raw), "missing_timestamp", "timestamp", REASONS["missing_timestamp"])
    verdicts.flag(timestamp.isna(), "unparseable_timestamp", "timestamp",
                  shown("timestamp", timestamp_hint(ts_raw, timestamp.isna(), mapping.parse)))
    floor = pd.Timestamp(mapping.rules.min_timestamp, tz="UTC")
    verdicts.flag(timestamp < floor, "timestamp_before_floor", "timestamp",
                  shown("timestamp", f" is before {floor.date()}"))
    verdicts.flag(timestamp > now, "timestamp_in_future", "timestamp",
                  shown("timestamp", f" is after {now.isoformat()}"))

    amount, quantity = _amounts(raw, columns, mapping, verdicts, shown)

    order_id = _order_ids(raw, columns, mapping, customer_id, timestamp, verdicts)
    if mapping.rules.cancellation_prefix:
        cancelled = order_id.str.startswith(mapping.rules.cancellation_prefix).fillna(False)
        amount = amount.where(~cancelled, -amount.abs())
        quantity = quantity.where(~cancelled, -quantity.abs())

    excluded = classes.rows("exclude_from_spend")
    gross = amount.copy()
    amount = amount.mask(excluded, 0.0)
    quantity = quantity.mask(excluded)

    duplicated = raw[source_columns].duplicated(keep="first")
    duplicates_kept = int((duplicated & verdicts.ok).sum()) if mapping.rules.duplicates == "keep" else 0
    if mapping.rules.duplicates == "quarantine":
        verdicts.flag(duplicated, "exact_duplicate", "*", REASONS["exact_duplicate"])

    zero = (amount == 0) & ~excluded
    zero_amount_kept = 0
    if mapping.rules.zero_amount == "quarantine":
        verdicts.flag(zero, "zero_amount", "amount", REASONS["zero_amount"])
    else:
        zero_amount_kept = int((zero & verdicts.ok).sum())

    verdicts.flag(classes.rows("quarantine"), "non_product_line", "product_id",
                  lambda rows: "line class '" + classes.names[rows] + "': not a purchase of goods")

    canonical = pd.DataFrame(
        {
            "customer_id": customer_id,
            "order_id": order_id,
            "timestamp": timestamp,
            "amount": amount,
            "quantity": quantity,
        }
    )
    for name in ("product_id", "category", "channel", "region", "source", "source_customer_id"):
        if name in columns:
            canonical[name] = clean_text(raw[columns[name]])
        elif name in mapping.constants:
            canonical[name] = mapping.constants[name]
    ok = verdicts.ok
    accepted = to_canonical_frame(canonical[ok.to_numpy()])
    quarantine = quarantine_frame(raw[~ok.to_numpy()], source_columns, verdicts, ~ok)
    return ValidationResult(accepted, quarantine, zero_amount_kept, duplicates_kept, parsed.formats,
                            classes.summary(ok, gross))


def require_columns(raw: pd.DataFrame, columns: dict[str, str], mapping: Mapping) -> None:
    for canonical, source in columns.items():
        if source not in raw.columns:
            file = raw["_source_file"].iat[0] if len(raw) else "source"
            present = [str(c) for c in raw.columns if c not in BOOKKEEPING]
            others = [f"'{o}'" for o in mapping.columns.alternatives(canonical)[1:]]
            raise SourceError(
                f"{file}: column '{source}' (mapped to {canonical}) not found"
                f"{' (nor ' + ', '.join(others) + ')' if others else ''}; "
                f"columns present: {', '.join(present)}{delimiter_hint(present)}"
            )


def is_blank(values: pd.Series) -> pd.Series:
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values.isna() | values.astype("string").str.strip().eq("").fillna(True)
    return values.isna()


_clean_id = clean_text


def flag_bad_ids(ids: pd.Series, name: str, mapping: Mapping, verdicts: Verdicts) -> None:
    """Ids with control characters (NUL, tab, newline) or longer than the bound cannot be keys."""
    control = ids.str.contains(r"[\x00-\x1f\x7f]", regex=True).fillna(False).astype(bool)
    too_long = (ids.str.len() > mapping.rules.max_id_length).fillna(False).astype(bool)
    reason = f"invalid_{name}"
    verdicts.flag(control, reason, name, f"the {name.replace('_', ' ')} holds a control character "
                  f"(e.g. NUL, tab or newline)")
    verdicts.flag(too_long, reason, name, f"the {name.replace('_', ' ')} is longer than "
                  f"{mapping.rules.max_id_length} characters (rules.max_id_length)")


def timestamp_hint(values: pd.Series, unread: pd.Series, options: ParseOptions) -> pd.Series | str:
    """Why an unreadable timestamp did not parse, and which setting to look at."""
    if options.timestamp_unit is not None:
        return f" is not a number of '{options.timestamp_unit}' since 1970 in range (timestamp_unit)"
    if options.timestamp_format is not None:
        base = f" does not match timestamp_format '{options.timestamp_format}'"
    else:
        base = " does not parse as a date and time (set [parse] timestamp_format or dayfirst for its form)"
    epoch = looks_like_epoch(values[unread]) if unread.any() else pd.Series(dtype=bool)
    if not epoch.any():
        return base
    hint = pd.Series(base, index=values.index, dtype="string")
    hint[epoch.index[epoch.to_numpy()]] = (
        base + "; numbers since 1970 need [parse] timestamp_unit = \"s\", \"ms\" or \"us\"")
    return hint


def parse_numbers(values: pd.Series, options: ParseOptions) -> pd.Series:
    """Float64 with NaN for anything that is not a finite number (after the mapping's separators)."""
    if options.thousands is not None or options.decimal != ".":
        values = values.astype("string")
        if options.thousands is not None:
            values = values.str.replace(options.thousands, "", regex=False)
        if options.decimal != ".":
            values = values.str.replace(options.decimal, ".", regex=False)
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    return numeric.where(np.isfinite(numeric))


def _amounts(raw, columns, mapping, verdicts, shown) -> tuple[pd.Series, pd.Series]:
    parse, rules = mapping.parse, mapping.rules
    quantity = pd.Series(np.nan, index=raw.index)
    if "quantity" in columns:
        quantity = parse_numbers(raw[columns["quantity"]], parse)
    if "amount" in columns:
        src = raw[columns["amount"]]
        amount = parse_numbers(src, parse)
        verdicts.flag(is_blank(src), "missing_amount", "amount", REASONS["missing_amount"])
        verdicts.flag(amount.isna(), "non_numeric_amount", "amount", shown("amount", _NOT_A_NUMBER))
        if "quantity" in columns:
            verdicts.flag(quantity.isna() & ~is_blank(raw[columns["quantity"]]), "non_numeric_quantity",
                          "quantity", shown("quantity", _NOT_A_NUMBER))
    else:
        price = parse_numbers(raw[columns["unit_price"]], parse)
        for name, parsed in (("quantity", quantity), ("unit_price", price)):
            src = raw[columns[name]]
            verdicts.flag(is_blank(src), "missing_amount", name, REASONS["missing_amount"])
            verdicts.flag(parsed.isna(), f"non_numeric_{name}", name, shown(name, _NOT_A_NUMBER))
        if rules.negative_unit_price == "quarantine":
            verdicts.flag(price < 0, "negative_unit_price", "unit_price",
                          shown("unit_price", " is negative"))
        with np.errstate(over="ignore", invalid="ignore"):
            amount = quantity * price
    if "quantity" in columns:
        verdicts.flag(quantity.abs() > rules.max_abs_quantity, "quantity_out_of_range", "quantity",
                      shown("quantity", f" is beyond +/-{rules.max_abs_quantity:g} (rules.max_abs_quantity)"))
    verdicts.flag(amount.abs() > rules.max_abs_amount, "amount_out_of_range", "amount",
                  _amount_shown(columns, amount, shown,
                                f" is beyond +/-{rules.max_abs_amount:g} (rules.max_abs_amount)"))
    return amount, quantity


def _amount_shown(columns, amount, shown, text: str) -> Callable[[pd.Series], pd.Series]:
    """A detail quoting the amount as the source gave it, or the product it was computed as."""
    if "amount" in columns:
        return shown("amount", text)
    return lambda rows: "quantity x unit price = " + amount[rows].map("{:g}".format).astype("string") + text


def _order_ids(raw, columns, mapping, customer_id, timestamp, verdicts) -> pd.Series:
    if mapping.rules.order_id == "customer_day":
        day = timestamp.dt.strftime("%Y%m%d").astype("string")
        return customer_id + "-" + day
    order_id = _clean_id(raw[columns["order_id"]])
    verdicts.flag(order_id.isna(), "missing_order_id", "order_id", REASONS["missing_order_id"])
    flag_bad_ids(order_id, "order_id", mapping, verdicts)
    return order_id


def quarantine_frame(rows: pd.DataFrame, source_columns: list[str], verdicts: Verdicts,
                      mask: pd.Series) -> pd.DataFrame:
    """Quarantined rows: where they came from, why, and the original values as JSON."""
    if len(rows):
        raw_json = rows[source_columns].to_json(orient="records", lines=True, date_format="iso")
        raw_values = raw_json.rstrip("\n").split("\n")
    else:
        raw_values = []
    return pd.DataFrame(
        {
            "source_file": rows["_source_file"].astype("string").to_numpy(),
            "source_sheet": rows["_source_sheet"].astype("string").to_numpy(),
            "source_row": rows["_source_row"].astype("int64").to_numpy(),
            "reason": verdicts.reason[mask].to_numpy(),
            "field": verdicts.field[mask].to_numpy(),
            "detail": verdicts.detail[mask].to_numpy(),
            "raw": pd.array(raw_values, dtype="string"),
        },
        columns=list(QUARANTINE_COLUMNS),
    )
