"""Record mapping files: how one system's customer export becomes the record contract.

The same TOML format as transaction mappings (docs/mapping.md), read by the same code:
`[source]` how to read the file, `[columns]` record field = source column, `[parse]` how to read
`created_at`/`updated_at`, `[constants]` fields the export lacks (typically `source`, the name of
the system). Without a mapping file a record file must already use the contract's column names.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from features.ingest.mapping import ParseOptions, SourceOptions, load_mapping
from features.identity.records import RECORD_COLUMNS, TIME_COLUMNS

CONSTANT_FIELDS: tuple[str, ...] = tuple(c for c in RECORD_COLUMNS
                                         if c not in TIME_COLUMNS and c != "source_customer_id")


class RecordMapping(BaseModel):
    """A customer-record mapping; `columns` and `constants` are keyed by record field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    description: str = ""
    source: SourceOptions = SourceOptions()
    columns: dict[str, str] = {}
    parse: ParseOptions = ParseOptions()
    constants: dict[str, str] = {}

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        """Reject a target that is not a record field, listing the ones there are."""
        for name in columns:
            if name not in RECORD_COLUMNS:
                raise PydanticCustomError(
                    "unknown_record_field",
                    "'{name}' is not a record field; the left-hand side must be one of {known} "
                    "(see docs/identity.md)",
                    {"name": name, "known": ", ".join(RECORD_COLUMNS)},
                )
        return columns

    @field_validator("constants")
    @classmethod
    def _constant_fields(cls, constants: dict[str, str]) -> dict[str, str]:
        """Only text fields shared by every row of a file can be constants (not ids or times)."""
        for name in constants:
            if name not in CONSTANT_FIELDS:
                raise PydanticCustomError(
                    "unknown_constant_field",
                    "'{name}' cannot be a constant; constants may set {known}",
                    {"name": name, "known": ", ".join(CONSTANT_FIELDS)},
                )
        return constants

    @model_validator(mode="after")
    def _keys_are_given(self) -> RecordMapping:
        """Every record needs both key fields, each from exactly one place."""
        both = sorted(set(self.columns) & set(self.constants))
        if both:
            raise PydanticCustomError(
                "mapped_twice", "'{name}' is in both [columns] and [constants]; keep one",
                {"name": both[0]})
        if "source_customer_id" not in self.columns:
            raise PydanticCustomError(
                "missing_key", "[columns] needs source_customer_id = \"<the export's customer id column>\"")
        if "source" not in self.columns and "source" not in self.constants:
            raise PydanticCustomError(
                "missing_key", "say which system the records come from: [constants] source = \"store\", "
                "or [columns] source = \"<column naming the system>\"")
        return self


def load_record_mapping(path: str | Path) -> RecordMapping:
    """Read a record mapping file; raises MappingError naming the file and the offending key."""
    return load_mapping(path=path, model=RecordMapping)


def contract_mapping(columns: list[str]) -> RecordMapping:
    """The mapping of a file already in contract names: each record column present maps to itself."""
    return RecordMapping(name="record contract", columns={c: c for c in RECORD_COLUMNS if c in columns})
