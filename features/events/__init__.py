"""Engagement events from every channel: the canonical event table, its ingestion and re-keying
to the unified customer. Features from events live in features/pipeline/engagement.py."""

from features.events.identity import Identity
from features.events.mapping import EventMapping, canonical_event_mapping, load_event_mapping
from features.events.run import EventIngestResult, ingest_events
from features.events.schema import EVENT_SCHEMA, EVENT_TYPES, EVENTS_FILE, to_canonical_events

__all__ = [
    "EVENTS_FILE",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "EventIngestResult",
    "EventMapping",
    "Identity",
    "canonical_event_mapping",
    "ingest_events",
    "load_event_mapping",
    "to_canonical_events",
]
