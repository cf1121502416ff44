"""Publish a simulation as Parquet, atomically: `transactions.parquet` (the canonical table),
`truth.parquet` (ground truth, with the config in its metadata) and, when simulated,
`events.parquet` (the canonical event table) beside them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.atomic import atomic_directory
from features.events.schema import EVENT_SCHEMA, EVENTS_FILE, events_to_arrow
from features.schema import TRANSACTION_SCHEMA, TRANSACTIONS_FILE, to_arrow
from features.synth.config import SimulationConfig
from features.synth.simulate import Simulation, simulate_chunks

TRUTH_FILE = "truth.parquet"
CONFIG_METADATA_KEY = b"synth_config"


def write_simulation(sim: Simulation, out_dir: str | os.PathLike[str]) -> Path:
    """Write `sim` into `out_dir` (replaced as a whole; a failure leaves it as it was)."""
    with atomic_directory(out_dir) as tmp:
        pq.write_table(to_arrow(sim.transactions), tmp / TRANSACTIONS_FILE)
        pq.write_table(_truth_table(sim.truth, sim.config), tmp / TRUTH_FILE)
        if sim.events is not None:
            pq.write_table(events_to_arrow(sim.events), tmp / EVENTS_FILE)
    return Path(out_dir)


def simulate_to_parquet(config: SimulationConfig, out_dir: str | os.PathLike[str]) -> Path:
    """Simulate straight to Parquet one chunk (row group) at a time, in bounded memory.

    Writes the same data as `write_simulation(simulate(config), out_dir)`.
    """
    truths = []
    with atomic_directory(out_dir) as tmp:
        events = pq.ParquetWriter(tmp / EVENTS_FILE, EVENT_SCHEMA) if config.events else None
        with pq.ParquetWriter(tmp / TRANSACTIONS_FILE, TRANSACTION_SCHEMA) as writer:
            for chunk in simulate_chunks(config):
                writer.write_table(to_arrow(chunk.transactions))
                truths.append(chunk.truth)
                if events is not None:
                    events.write_table(events_to_arrow(chunk.events))
        if events is not None:
            events.close()
        pq.write_table(_truth_table(pd.concat(truths, ignore_index=True), config), tmp / TRUTH_FILE)
    return Path(out_dir)


def _truth_table(truth, config: SimulationConfig) -> pa.Table:
    return _with_config(pa.Table.from_pandas(truth, preserve_index=False), config)


def _with_config(table: pa.Table, config: SimulationConfig) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata[CONFIG_METADATA_KEY] = json.dumps(config.as_dict()).encode()
    return table.replace_schema_metadata(metadata)
