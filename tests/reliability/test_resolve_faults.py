"""Fault suite for `insight resolve`: malformed record files, one table of cases.

A refused input must exit 2 with one line naming the file and the setting or field, and leave the
previous `--out` (a good earlier resolution) exactly as it was. An accepted one must account for
every record (records in = resolved + quarantined, per file) and give each resolved record one id.
Cases call the Typer app in-process on simulated records of several systems.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.identity.intake import RecordSource, read_record_files
from features.identity.simulate import TRUTH_COLUMN, simulate_records
from serving.cli import app

RECORD_MAPPING = """
[columns]
source_customer_id = "Id"
full_name = "Name"
phone = "Phone"
updated_at = "Changed"
[constants]
source = "store"
"""
RECORDS = "Id,Name,Phone,Changed\nS1,Lan,0912345678,2024-01-02 09:00\nS2,Minh,0912345679,2024-01-02 10:00\n"
LATIN = "Id,Name,Phone,Changed\nS1,Lan,0912345678,2024-01-02 09:00\nS2,Nguy\xean Hi\xe9u,0912345679,2024-01-02 10:00\n"


def truncated_gzip() -> bytes:
    whole = gzip.compress(("Id,Name,Phone,Changed\n" + "".join(
        f"S{i},Name {i},0912{i:06d},2024-01-02 09:00\n" for i in range(3000))).encode())
    return whole[: len(whole) // 2]


RESOLVE_FAULTS = [
    ("unknown time zone", "members.csv", RECORDS, RECORD_MAPPING + '[parse]\ntimezone = "Mars/Olympus"\n',
     ("members.csv", "store.toml", "parse.timezone", "Mars/Olympus")),
    ("unknown encoding", "members.csv", RECORDS, RECORD_MAPPING + '[source]\nencoding = "klingon-8"\n',
     ("members.csv", "source.encoding", "klingon-8")),
    ("mapping not UTF-8", "members.csv", RECORDS, ("# caf\xe9\n" + RECORD_MAPPING).encode("latin-1"),
     ("store.toml", "not UTF-8")),
    ("xlsx that is CSV", "members.xlsx", RECORDS, RECORD_MAPPING, ("members.xlsx", "not an Excel workbook")),
    ("duplicate headers", "members.csv", RECORDS.replace("Changed", "Name"), RECORD_MAPPING,
     ("members.csv", "repeats 'Name' (columns 2, 4)")),
    ("empty file", "members.csv", "", RECORD_MAPPING, ("members.csv: the file is empty",)),
    ("header only", "members.csv", "Id,Name,Phone,Changed\n", RECORD_MAPPING,
     ("needs at least 2 records, got 0", "members.csv: 0 read, 0 quarantined")),
    ("wrong delimiter", "members.csv", RECORDS.replace(",", ";"), RECORD_MAPPING,
     ("members.csv", "column 'Id' (mapped to source_customer_id) not found", "delimited by ';'")),
    ("not UTF-8", "members.csv", LATIN.encode("latin-1"), RECORD_MAPPING,
     ("members.csv", "not utf-8 text", "byte 0xea", "[source] encoding")),
    ("truncated gzip", "members.csv.gz", truncated_gzip(), RECORD_MAPPING,
     ("members.csv.gz", "damaged or truncated")),
    ("missing file", "members.csv", None, RECORD_MAPPING, ("members.csv: file not found",)),
    ("directory, not a file", "members.csv", "directory", RECORD_MAPPING, ("members.csv",)),
]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """Records of 150 simulated people in three systems, in the record contract's columns, and a
    good earlier resolution of them (copied into each case's --out)."""
    root = tmp_path_factory.mktemp("resolved")
    records = simulate_records(150, seed=5).drop(columns=TRUTH_COLUMN)
    records.to_csv(root / "records.csv", index=False)
    result = CliRunner().invoke(app, ["resolve", "--records", str(root / "records.csv"), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return records, root / "out"


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def previous_output(previous: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in contents(previous).items():
        (out / name).write_bytes(data)
    return out


@pytest.mark.parametrize(("name", "source", "content", "mapping", "fragments"), RESOLVE_FAULTS,
                         ids=[f[0] for f in RESOLVE_FAULTS])
def test_bad_resolve_input(name: str, source: str, content: str | bytes | None, mapping: str | bytes,
                           fragments: tuple[str, ...], tmp_path: Path, simulated) -> None:
    if content == "directory":
        (tmp_path / source).mkdir()
    elif isinstance(content, bytes):
        (tmp_path / source).write_bytes(content)
    elif content is not None:
        (tmp_path / source).write_text(content)
    map_path = tmp_path / "store.toml"
    map_path.write_bytes(mapping if isinstance(mapping, bytes) else mapping.encode())
    out = previous_output(simulated[1], tmp_path)
    before = contents(out)
    result = CliRunner().invoke(app, ["resolve", "--records", f"{tmp_path / source}:{map_path}",
                                      "--out", str(out)], env={"COLUMNS": "200"})
    message = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and message.startswith("error:")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert contents(out) == before, "a refused run changed the previous resolution"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def with_cells(records: pd.DataFrame, *cells: tuple[int, str, str]) -> str:
    """The records as CSV with each (data row from 1, column, value) replaced."""
    frame = records.astype(object)
    for row, column, value in cells:
        frame.loc[row - 1, column] = value
    return frame.to_csv(index=False)


ACCEPTED = {
    "byte order mark": lambda r: "\ufeff" + r.to_csv(index=False),
    "huge cell": lambda r: with_cells(r, (4, "address", "12 Ly Thuong Kiet " * 50_000)),
    "embedded newline in a name": lambda r: with_cells(r, (4, "full_name", "Nguyen\nThi Lan")),
    "NaN and inf as text": lambda r: with_cells(r, (5, "phone", "NaN"), (6, "date_of_birth", "inf")),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_odd_but_readable_records_are_each_accounted_for(case: str, tmp_path: Path, simulated) -> None:
    records, previous = simulated
    (tmp_path / "records.csv").write_text(ACCEPTED[case](records), "utf-8", newline="")
    out = previous_output(previous, tmp_path)
    result = CliRunner().invoke(app, ["resolve", "--records", str(tmp_path / "records.csv"), "--out", str(out),
                                      "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    id_map = pd.read_parquet(out / "id_map.parquet")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert report["records_in"] == len(records) == report["records_resolved"] + report["records_quarantined"]
    assert report["records_resolved"] == len(id_map) and len(quarantine) == report["records_quarantined"]
    assert not id_map.duplicated(["source", "source_customer_id"]).any()
    kept = id_map.merge(pd.read_parquet(previous / "id_map.parquet"), on=["source", "source_customer_id"])
    assert (kept["customer_id_x"] == kept["customer_id_y"]).mean() > 0.95, "the earlier ids were not kept"


def test_record_times_mixing_offsets_are_instants_and_an_unreadable_one_is_quarantined(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text(
        "Id,Name,Phone,Changed\nS1,Lan,0912345678,2024-01-02T09:00:00+07:00\nS2,Minh,0912345679,2024-01-02T02:00:00Z\n"
        "S3,Nam,0912345670,2024-01-02 09:00\nS4,Hoa,0912345671,someday\n")
    (tmp_path / "store.toml").write_text(RECORD_MAPPING + '[parse]\ntimezone = "Asia/Ho_Chi_Minh"\n')
    intake = read_record_files([RecordSource(str(tmp_path / "members.csv"), tmp_path / "store.toml")])
    assert intake.records["updated_at"].astype(str).tolist() == ["2024-01-02 02:00:00+00:00"] * 3
    row = intake.quarantine.iloc[0]
    assert (len(intake.quarantine), row["source_row"], row["reason"], row["field"]) == (1, 4, "bad_timestamp",
                                                                                        "updated_at")
    assert "'someday'" in row["detail"]
    counts = intake.files[str(tmp_path / "members.csv")]
    assert counts["records_in"] == counts["records_resolved"] + counts["records_quarantined"] == 4
