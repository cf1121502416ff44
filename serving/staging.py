"""Resumable chunked output: parts are written one by one into a staging directory beside the
target, then published in one rename.

A run killed at any point leaves the target untouched (or as the previous run left it) and a
staging directory whose manifest says which job its parts belong to. The next run of the same
job (same manifest) keeps the finished parts and writes only the missing ones; a different job
starts over. Each part is itself written atomically, so a part on disk is always complete, and
carries its job's manifest digest: publishing refuses a part of any other job. The job holds the
target's lock (`features.output_lock`) for its whole run, so no other run touches its parts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from features.atomic import atomic_file

MANIFEST = "manifest.json"
MANIFEST_KEY = b"customer_insight.staging_manifest"
FORMATS = ("parquet", "csv")
SUFFIX_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(target: str | Path, fmt: str | None = None) -> str:
    """The format to write `target` in: `fmt` when given, else its suffix's (Parquet for an
    unknown suffix). A `fmt` that contradicts a known suffix is refused, so `scores.csv` never
    holds Parquet bytes that the next tool reads as text."""
    by_suffix = SUFFIX_FORMATS.get(Path(target).suffix.lower())
    if fmt is None:
        return by_suffix or "parquet"
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if by_suffix is not None and by_suffix != fmt:
        raise ValueError(f"--out {target} names a {by_suffix} file but --format is {fmt}; "
                         "drop --format or give the file a matching suffix")
    return fmt


class StagingError(ValueError):
    """Staged parts that cannot be published as one job's output."""


@dataclass(frozen=True)
class Staging:
    """The staging directory of one output file and the job identity its parts belong to."""

    target: Path
    manifest: dict

    @property
    def directory(self) -> Path:
        return self.target.parent / f".{self.target.name}.parts"

    @property
    def digest(self) -> str:
        """The manifest's fingerprint, stamped into every part this job writes."""
        return hashlib.sha256(json.dumps(self.manifest, sort_keys=True).encode()).hexdigest()

    def part(self, index: int) -> Path:
        return self.directory / f"part-{index:05d}.parquet"

    def open(self) -> list[int]:
        """Prepare the directory; return the indices of parts a previous run of this job finished."""
        manifest_path = self.directory / MANIFEST
        if self.directory.exists():
            previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
            if previous != self.manifest:
                shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob(".*.tmp-*"):
            leftover.unlink()
        if not manifest_path.exists():
            with atomic_file(manifest_path) as tmp:
                tmp.write_text(json.dumps(self.manifest, sort_keys=True))
        return sorted(int(p.stem.removeprefix("part-")) for p in self.directory.glob("part-*.parquet"))

    def write_part(self, index: int, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), MANIFEST_KEY: self.digest.encode()})
        with atomic_file(self.part(index)) as tmp:
            pq.write_table(table, tmp)

    def publish(self, n_parts: int, fmt: str) -> Path:
        """Concatenate parts 0..n_parts-1 into the target (Parquet or CSV) and drop the staging."""
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
        self.verify(n_parts)
        with atomic_file(self.target) as tmp:
            _concatenate((self.part(i) for i in range(n_parts)), tmp, fmt)
        shutil.rmtree(self.directory)
        return self.target


    def verify(self, n_parts: int) -> None:
        """Refuse to publish unless parts 0..n_parts-1 all exist, nothing else is staged, every part
        carries this job's manifest and their rows add up to the manifest's customers."""
        problem = f"cannot publish {self.target}"
        missing = [i for i in range(n_parts) if not self.part(i).exists()]
        if missing:
            raise StagingError(f"{problem}: parts {missing[:5]} are missing; run the same job again")
        extra = sorted(p.name for p in self.directory.glob("part-*.parquet")
                       if int(p.stem.removeprefix("part-")) >= n_parts)
        on_disk = self.directory / MANIFEST
        stored = json.loads(on_disk.read_text()) if on_disk.exists() else None
        if extra or stored != self.manifest:
            raise StagingError(f"{problem}: {self.directory} holds parts of another run; nothing was published, "
                               "run the job again")
        rows = 0
        for i in range(n_parts):
            metadata = pq.read_schema(self.part(i)).metadata or {}
            if metadata.get(MANIFEST_KEY) != self.digest.encode():
                raise StagingError(f"{problem}: {self.part(i).name} belongs to another run; nothing was published, "
                                   "run the job again")
            rows += pq.read_metadata(self.part(i)).num_rows
        expected = self.manifest.get("customers")
        if expected is not None and rows != expected:
            raise StagingError(f"{problem}: the parts hold {rows:,} rows for {expected:,} customers; "
                               "nothing was published, run the job again")


def _concatenate(parts: Iterator[Path], out: Path, fmt: str) -> None:
    writer: pq.ParquetWriter | pcsv.CSVWriter | None = None
    make: Callable = pq.ParquetWriter if fmt == "parquet" else pcsv.CSVWriter
    paths = list(parts)
    # A chunk whose column is all null (no next purchase date within the horizon) has Arrow type null.
    schema = pa.unify_schemas([pq.read_schema(path) for path in paths], promote_options="permissive")
    try:
        for path in paths:
            table = pq.read_table(path).cast(schema)
            if writer is None:
                writer = make(str(out), schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
