"""Event mapping files: how a source's columns become the canonical event table.

The same TOML format as transaction mappings (`[source]`, `[columns]`, `[parse]`, `[rules]`,
`[constants]`, read by the same readers), plus `[event_types]` and `[channels]`, which translate
the source's own names (`open`, `view_item`, `IOS`) into the canonical vocabulary. Built-in event
presets live in `features/presets/events/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.events.schema import CUSTOM_NAME, EVENT_TYPES, SURVEY_SCALES
from features.identity.normalize import DEFAULT_COUNTRY
from features.ingest.mapping import ParseOptions, Source, SourceOptions, load_mapping

EVENT_PRESETS = "presets/events"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventColumns(_Strict):
    """Canonical event column -> source column (or alternatives, the first present is read).

    A row needs one customer key: `customer_id`, `source_customer_id` (with `source`), `email` or
    `phone`. `properties` lists source columns packed, when present, into the properties JSON;
    `properties_prefixes` packs every column whose name starts with a prefix (flattened event
    parameters); `properties_json` is a column that already holds a JSON object.
    """

    timestamp: Source
    event_type: Source | None = None
    customer_id: Source | None = None
    source_customer_id: Source | None = None
    email: Source | None = None
    phone: Source | None = None
    channel: Source | None = None
    campaign_id: Source | None = None
    product_id: Source | None = None
    value: Source | None = None
    source: Source | None = None
    properties: list[str] = []
    properties_prefixes: list[str] = []
    properties_json: str | None = None

    def mapped(self) -> dict[str, Source]:
        """The single-valued canonical columns that are mapped, with their source column(s)."""
        skip = {"properties", "properties_prefixes", "properties_json"}
        return {k: v for k, v in self.model_dump().items() if v is not None and k not in skip}

    def resolved(self, present: Iterable[str]) -> dict[str, str]:
        """Canonical name -> the source column to read: the first present alternative (the first
        listed when none is, so the error can name it)."""
        names = set(map(str, present))
        out = {}
        for canonical, given in self.mapped().items():
            options = [given] if isinstance(given, str) else given
            out[canonical] = next((o for o in options if o in names), options[0])
        return out

    def alternatives(self, canonical: str) -> list[str]:
        given = self.mapped().get(canonical)
        return [] if given is None else [given] if isinstance(given, str) else list(given)

    @model_validator(mode="after")
    def _has_a_key(self) -> EventColumns:
        if not (self.customer_id or self.source_customer_id or self.email or self.phone):
            raise ValueError("map at least one customer key: customer_id, source_customer_id, email or phone")
        return self


class EventRules(_Strict):
    """Row rules.

    unknown_event_types: a source name neither in `[event_types]` nor in the vocabulary is kept
    as `custom:NAME` ('custom') or quarantined ('quarantine'). default_survey: the scale of a
    survey answer whose properties name none. default_country: how phones without a country code
    are read (as in `insight resolve`).
    """

    duplicates: str = Field("quarantine", pattern="^(quarantine|keep)$")
    unknown_event_types: str = Field("quarantine", pattern="^(quarantine|custom)$")
    default_survey: str = "nps"
    default_country: str = DEFAULT_COUNTRY
    min_timestamp: str = "1990-01-01"
    max_id_length: int = Field(128, ge=1)

    @field_validator("default_survey")
    @classmethod
    def _known_scale(cls, scale: str) -> str:
        if scale not in SURVEY_SCALES:
            raise ValueError(f"default_survey must be one of {', '.join(SURVEY_SCALES)}, got '{scale}'")
        return scale


class EventMapping(_Strict):
    """A complete event mapping; `constants` fill event_type, channel, source or campaign_id for
    every row (e.g. channel = "email" for an email platform's export)."""

    name: str = "custom"
    description: str = ""
    source: SourceOptions = SourceOptions()
    columns: EventColumns
    parse: ParseOptions = ParseOptions()
    rules: EventRules = EventRules()
    constants: dict[str, str] = {}
    event_types: dict[str, str] = {}
    channels: dict[str, str] = {}
    optional_columns: list[str] = []
    """Canonical columns read only when the source has one of their columns (a preset covering
    exports that differ in which optional columns they include); others must be present."""

    @model_validator(mode="after")
    def _check(self) -> EventMapping:
        allowed = {"event_type", "channel", "source", "campaign_id"}
        unknown = set(self.constants) - allowed
        if unknown:
            raise ValueError(f"constants may set {sorted(allowed)}, not {sorted(unknown)}")
        required = {"timestamp", "event_type"} & set(self.optional_columns)
        if required:
            raise ValueError(f"optional_columns cannot list '{sorted(required)[0]}': every row needs it")
        if self.columns.event_type is None and "event_type" not in self.constants:
            raise ValueError("map columns.event_type, or set constants.event_type for every row")
        targets = list(self.event_types.values()) + (
            [self.constants["event_type"]] if "event_type" in self.constants else [])
        bad = [t for t in targets if t not in EVENT_TYPES and not CUSTOM_NAME.match(t)]
        if bad:
            raise ValueError(f"event type '{bad[0]}' is not in the vocabulary ({', '.join(EVENT_TYPES)}, "
                             f"or custom:NAME)")
        return self

    def present_columns(self, present: Iterable[str]) -> dict[str, str]:
        """Canonical name -> source column to read, leaving out optional columns the source lacks."""
        names = set(map(str, present))
        resolved = self.columns.resolved(names)
        return {k: v for k, v in resolved.items() if k not in self.optional_columns or v in names}

    def translated_event_types(self) -> dict[str, str]:
        """`[event_types]` with source names folded to lower case, as rows are matched."""
        return {k.strip().lower(): v for k, v in self.event_types.items()}

    def translated_channels(self) -> dict[str, str]:
        return {k.strip().lower(): v.strip().lower() for k, v in self.channels.items()}


def load_event_mapping(*, preset: str | None = None, path: str | Path | None = None) -> EventMapping:
    """A built-in event preset or an event mapping file (exactly one of them)."""
    return load_mapping(preset=preset, path=path, model=EventMapping, folder=EVENT_PRESETS)


CANONICAL_EVENT_SOURCE = ("customer_id", "timestamp", "event_type", "channel", "campaign_id", "product_id",
                          "value", "source", "source_customer_id", "email", "phone")


def canonical_event_mapping(columns: Iterable[str]) -> EventMapping:
    """The identity mapping of a source already in the canonical event columns (properties as JSON
    text in `properties`); raises MappingError naming what it lacks."""
    from features.ingest.mapping import MappingError

    present = set(map(str, columns))
    lacking = [c for c in ("timestamp", "event_type") if c not in present]
    if lacking or not present & {"customer_id", "source_customer_id", "email", "phone"}:
        need = lacking or ["customer_id (or source_customer_id, email, phone)"]
        raise MappingError(f"not in the canonical event layout: lacks {', '.join(need)} (canonical columns: "
                           f"customer_id, timestamp, event_type[, channel, campaign_id, product_id, value, "
                           f"properties, source, source_customer_id, email, phone])")
    mapped = {c: c for c in CANONICAL_EVENT_SOURCE if c in present}
    if "properties" in present:
        mapped["properties_json"] = "properties"
    return EventMapping(name="canonical", description="a source already in the canonical event columns",
                        columns=EventColumns(**mapped), rules=EventRules(unknown_event_types="quarantine"))
