"""Ingestion: read a purchase log, map its columns, validate every row, publish the canonical
transaction table with a quarantine file and a data-quality report."""

from features.ingest.mapping import Mapping, load_mapping
from features.ingest.run import IngestResult, ingest

__all__ = ["IngestResult", "Mapping", "ingest", "load_mapping"]
