"""Column-mapping files: how a source's columns become the canonical transaction table.

A mapping is a TOML file (or a built-in preset under `features/presets/`) with four tables:
`[source]` how to read the file, `[columns]` canonical name = source column, `[parse]` timestamp
format and time zone, `[rules]` order ids, cancellations, duplicates and plausibility bounds.
"""

from __future__ import annotations

import codecs
import tomllib
import zoneinfo
from importlib import resources
from pathlib import Path
from collections.abc import Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceOptions(_Strict):
    """How to read the raw file."""

    format: Literal["auto", "csv", "parquet", "jsonl", "excel", "database"] = "auto"
    delimiter: str = ","
    whitespace_delimited: bool = False
    header: bool = True
    column_names: list[str] | None = None
    encoding: str = "utf-8"
    sheets: list[str] | None = None
    table: str | None = None
    query: str | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding '{encoding}'; use a Python codec name such as "
                             f"utf-8, utf-8-sig, cp1252, latin-1 or shift_jis") from None
        return encoding


Source = str | list[str]
"""A source column, or a list of alternatives of which the first one present is read (one preset
can then cover layouts that name a column differently, e.g. 'Customer ID' and 'CustomerID')."""


class ColumnMap(_Strict):
    """Canonical column -> source column. Give `amount`, or `quantity` and `unit_price`."""

    customer_id: Source
    timestamp: Source
    order_id: Source | None = None
    amount: Source | None = None
    quantity: Source | None = None
    unit_price: Source | None = None
    product_id: Source | None = None
    category: Source | None = None
    channel: Source | None = None
    region: Source | None = None
    source: Source | None = None
    source_customer_id: Source | None = None

    def resolved(self, present: Iterable[str]) -> dict[str, str]:
        """Canonical name -> the source column to read, given the columns `present`: the first
        present alternative (the first listed when none is, so the error can name it)."""
        names = set(map(str, present))
        out = {}
        for canonical, given in self.mapped().items():
            options = [given] if isinstance(given, str) else given
            out[canonical] = next((o for o in options if o in names), options[0])
        return out

    def alternatives(self, canonical: str) -> list[str]:
        """Every source column listed for `canonical`."""
        given = self.mapped().get(canonical)
        return [] if given is None else [given] if isinstance(given, str) else list(given)

    @model_validator(mode="after")
    def _amount_is_defined(self) -> ColumnMap:
        if self.amount is None and (self.quantity is None or self.unit_price is None):
            raise ValueError(
                "map 'amount', or both 'quantity' and 'unit_price' (amount = quantity x unit_price)"
            )
        return self

    def mapped(self) -> dict[str, Source]:
        """Only the canonical names that are mapped, with their source column(s)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ParseOptions(_Strict):
    """How to read values.

    `timestamp_format` is a strptime pattern applied strictly; without it each value is read on
    its own (ISO 8601 forms, real date cells, else the form the first unreadable value suggests).
    `timestamp_unit` reads numbers as seconds, milliseconds or microseconds since 1970 (UTC).
    `thousands` is a separator removed from numbers before they are read ("1,234.50").
    """

    timestamp_format: str | None = None
    timestamp_unit: Literal["s", "ms", "us"] | None = None
    timezone: str = "UTC"
    dayfirst: bool = False
    thousands: str | None = Field(None, min_length=1, max_length=1)
    decimal: str = Field(".", min_length=1, max_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{zone}'; use an IANA name such as UTC, "
                             f"Europe/London or Asia/Ho_Chi_Minh") from None
        return zone

    @model_validator(mode="after")
    def _one_way_to_read_times(self) -> ParseOptions:
        if self.timestamp_format is not None and self.timestamp_unit is not None:
            raise ValueError("give timestamp_format (text times) or timestamp_unit (epoch numbers), not both")
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal separators are both '{self.decimal}'")
        return self


class Rules(_Strict):
    """Row rules. Orders: from a column, or one order per customer and day (`customer_day`)."""

    order_id: Literal["column", "customer_day"] = "column"
    cancellation_prefix: str | None = None
    duplicates: Literal["quarantine", "keep"] = "quarantine"
    zero_amount: Literal["keep", "quarantine"] = "keep"
    negative_unit_price: Literal["quarantine", "keep"] = "quarantine"
    min_timestamp: str = "1990-01-01"
    max_abs_amount: float = Field(1e12, gt=0, allow_inf_nan=False)
    max_abs_quantity: float = Field(1e9, gt=0, allow_inf_nan=False)
    max_id_length: int = Field(128, ge=1)


class LineClass(_Strict):
    """A kind of line that is not a purchase of goods (postage, fees, adjustments), and what to do
    with it. A line is of the class when every condition given holds: its product code is one of
    `product_ids` or starts with one of `product_id_prefixes`, its unit price is `unit_price`
    ('zero', 'negative' or 'any'), its customer id is `customer_id` ('missing' or 'any').

    treatment: `keep` (a purchase of goods like any other line), `exclude_from_spend` (kept, so its
    order still counts, with amount 0 and no quantity), `quarantine` (reason `non_product_line`,
    the class named in the detail). The first class a line matches is its class.
    """

    name: str
    description: str = ""
    product_ids: list[str] = []
    product_id_prefixes: list[str] = []
    unit_price: Literal["any", "zero", "negative"] = "any"
    customer_id: Literal["any", "missing"] = "any"
    treatment: Literal["keep", "exclude_from_spend", "quarantine"]

    @model_validator(mode="after")
    def _has_a_condition(self) -> LineClass:
        if not (self.product_ids or self.product_id_prefixes or self.unit_price != "any"
                or self.customer_id != "any"):
            raise ValueError(f"line class '{self.name}' matches every line; give at least one condition")
        return self


class Mapping(_Strict):
    """A complete column mapping; `constants` fill canonical columns absent from the source;
    `line_classes` say which lines are not purchases of goods."""

    name: str = "custom"
    description: str = ""
    source: SourceOptions = SourceOptions()
    columns: ColumnMap
    parse: ParseOptions = ParseOptions()
    rules: Rules = Rules()
    constants: dict[str, str] = {}
    line_classes: list[LineClass] = []

    @model_validator(mode="after")
    def _check(self) -> Mapping:
        needs_product = [c.name for c in self.line_classes if c.product_ids or c.product_id_prefixes]
        if needs_product and self.columns.product_id is None:
            raise ValueError(f"line class '{needs_product[0]}' matches product codes; map columns.product_id")
        needs_price = [c.name for c in self.line_classes if c.unit_price != "any"]
        if needs_price and self.columns.unit_price is None:
            raise ValueError(f"line class '{needs_price[0]}' tests the unit price; map columns.unit_price")
        if self.rules.order_id == "column" and self.columns.order_id is None:
            raise ValueError(
                "rules.order_id = 'column' needs columns.order_id; "
                "or set rules.order_id = 'customer_day' to make one order per customer and day"
            )
        allowed = {"product_id", "category", "channel", "region", "source"}
        unknown = set(self.constants) - allowed
        if unknown:
            raise ValueError(f"constants may set {sorted(allowed)}, not {sorted(unknown)}")
        return self


class MappingError(ValueError):
    """A mapping file or preset that cannot be used; the message says which and why."""


MappingT = TypeVar("MappingT", bound=BaseModel)


def preset_names(folder: str = "presets") -> list[str]:
    """Names of the built-in presets in `folder` (under features/; event presets have their own)."""
    folder = resources.files("features").joinpath(*folder.split("/"))
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_mapping(*, preset: str | None = None, path: str | Path | None = None,
                 model: type[MappingT] = Mapping, folder: str = "presets") -> MappingT:
    """Load a built-in preset (from `folder` under features/) or a TOML mapping file (exactly one
    of them) as a `model` mapping.

    `model` is the transaction `Mapping` unless another table (customer records, events) reuses
    the format.
    """
    if (preset is None) == (path is None):
        raise MappingError("give either a preset or a mapping file, not both or neither")
    if preset is not None:
        names = preset_names(folder)
        if preset not in names:
            raise MappingError(f"unknown preset '{preset}'; known presets: {', '.join(names)}")
        text = resources.files("features").joinpath(*folder.split("/"), f"{preset}.toml").read_text("utf-8")
        origin = f"preset '{preset}'"
    else:
        file = Path(path)
        if not file.is_file():
            raise MappingError(f"{file}: mapping file not found")
        try:
            text = file.read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise MappingError(
                f"{file}: the mapping file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                f"position {exc.start}); save it as UTF-8") from None
        except OSError as exc:
            raise MappingError(f"{file}: cannot read the mapping file: {exc.strerror or exc}") from None
        origin = str(file)
    return parse_mapping(text, origin, model)


CANONICAL_SOURCE_COLUMNS: tuple[str, ...] = (
    "customer_id", "order_id", "timestamp", "amount",
    "quantity", "product_id", "category", "channel", "region", "source", "source_customer_id",
)
"""The columns a source already in the canonical layout carries: the first four are required."""
REQUIRED_SOURCE_COLUMNS = CANONICAL_SOURCE_COLUMNS[:4]


def missing_canonical_columns(columns: Iterable[str]) -> list[str]:
    """The required canonical columns (customer_id, order_id, timestamp, amount) not in `columns`."""
    present = set(map(str, columns))
    return [name for name in REQUIRED_SOURCE_COLUMNS if name not in present]


def canonical_mapping(columns: Iterable[str]) -> Mapping:
    """The identity mapping of a source whose header already uses the canonical names.

    Optional canonical columns are mapped when present; other columns are ignored. Raises
    MappingError naming the required canonical columns the source lacks.
    """
    present = set(map(str, columns))
    missing = missing_canonical_columns(present)
    if missing:
        raise MappingError(
            f"not in the canonical layout: lacks {', '.join(missing)} "
            f"(canonical columns: {', '.join(REQUIRED_SOURCE_COLUMNS)}[, "
            f"{', '.join(CANONICAL_SOURCE_COLUMNS[4:])}])"
        )
    mapped = {name: name for name in CANONICAL_SOURCE_COLUMNS if name in present}
    return Mapping(name="canonical", description="a source already in the canonical columns",
                   columns=ColumnMap(**mapped))


def parse_mapping(text: str, origin: str = "mapping", model: type[MappingT] = Mapping) -> MappingT:
    """Parse TOML text into a validated `model`; errors name the origin and the offending key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MappingError(f"{origin}: {where}: {first['msg'].removeprefix('Value error, ')}") from exc
