"""Fault suite for `insight ingest`: malformed inputs, one table of cases (`insight resolve` has
its own, test_resolve_faults.py).

A refused input must exit 2 with one line naming the file and the setting or field, write nothing
and leave the previous `--out` as it was. An accepted input must account for every row (rows in =
accepted + quarantined), quarantining each bad row with its reason, row number and field.
Most cases call the Typer app in-process; a few go through `python -m serving` as a user would.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app

MAPPING = """
[columns]
customer_id = "cust"
order_id = "order"
timestamp = "when"
amount = "value"
quantity = "qty"
[rules]
min_timestamp = "2000-01-01"
"""
HEADER = "cust,order,when,value,qty\n"
GOOD = "c1,o1,2024-01-05 10:00,20.5,2\n"
NOW = "2025-01-01T00:00:00"


def csv(*lines: str) -> str:
    return HEADER + GOOD + "".join(line + "\n" for line in lines)


def gzip_truncated(root: Path) -> None:
    whole = gzip.compress((HEADER + GOOD * 2000).encode())
    (root / "sales.csv.gz").write_bytes(whole[: len(whole) // 2])


def parquet_truncated(root: Path) -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"cust": ["c1"] * 100, "order": ["o1"] * 100}).to_parquet(buffer)
    (root / "sales.parquet").write_bytes(buffer.getvalue()[:-40])


def workbook_truncated(root: Path) -> None:
    pytest.importorskip("openpyxl")
    buffer = io.BytesIO()
    pd.DataFrame({"cust": ["c1"] * 500, "when": ["2024-01-05"] * 500}).to_excel(buffer, index=False)
    (root / "sales.xlsx").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def directory_named_csv(root: Path) -> None:
    (root / "sales.csv").mkdir()
    (root / "sales.csv" / "part.csv").write_text(csv())


def dangling_link(root: Path) -> None:
    (root / "sales.csv").symlink_to(root / "nowhere.csv")


def two_sheets(root: Path) -> None:
    """Real date cells on one sheet, day-first text dates on the other."""
    pytest.importorskip("openpyxl")
    with pd.ExcelWriter(root / "sales.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"cust": ["c1", "c2"], "order": ["o1", "o2"],
                      "when": pd.to_datetime(["2023-01-05 10:00", "2023-02-01 08:30"]),
                      "value": [1.5, 2.5], "qty": [1, 1]}).to_excel(writer, sheet_name="2023", index=False)
        pd.DataFrame({"cust": ["c3", "c4"], "order": ["o3", "o4"], "when": ["05/01/2024", "13/02/2024"],
                      "value": [3.0, 4.0], "qty": [1, 1]}).to_excel(writer, sheet_name="2024", index=False)


@dataclass(frozen=True)
class Fault:
    """One malformed input and what it must get."""

    name: str
    content: str | bytes | Callable[[Path], None] = ""
    source: str = "sales.csv"
    mapping: str | bytes = MAPPING
    refused: tuple[str, ...] = ()          # fragments of the one-line error (exit 2)
    rows_in: int | None = None             # accepted run: data rows the file holds
    quarantined: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # row -> reason, field, detail
    check: Callable[[pd.DataFrame, dict], None] | None = None
    via_cli: bool = False


def utc_hours(expected: list[str]) -> Callable[[pd.DataFrame, dict], None]:
    def check(accepted: pd.DataFrame, report: dict) -> None:
        assert [t.isoformat() for t in accepted["timestamp"]] == expected
    return check


def forms(expected: dict[str, int]) -> Callable[[pd.DataFrame, dict], None]:
    def check(accepted: pd.DataFrame, report: dict) -> None:
        assert report["timestamp_forms"] == expected
    return check


def amounts(expected: list[float]) -> Callable[[pd.DataFrame, dict], None]:
    def check(accepted: pd.DataFrame, report: dict) -> None:
        assert accepted["amount"].tolist() == expected
    return check


FAULTS = [
    # --- refused: the mapping -----------------------------------------------------------------
    Fault("unknown time zone", csv(), mapping=MAPPING + '[parse]\ntimezone = "Mars/Olympus"\n',
          refused=("shop.toml", "parse.timezone", "unknown time zone 'Mars/Olympus'"), via_cli=True),
    Fault("unknown encoding", csv(), mapping=MAPPING + '[source]\nencoding = "klingon-8"\n',
          refused=("shop.toml", "source.encoding", "unknown encoding 'klingon-8'")),
    Fault("mapping not UTF-8", csv(), mapping=("# caf\xe9 export\n" + MAPPING).encode("latin-1"),
          refused=("shop.toml", "not UTF-8", "byte 0xe9")),
    Fault("format and unit both", csv(),
          mapping=MAPPING + '[parse]\ntimestamp_format = "%Y"\ntimestamp_unit = "s"\n',
          refused=("shop.toml", "parse", "timestamp_format", "timestamp_unit")),
    Fault("negative amount bound", csv(), mapping=MAPPING + "max_abs_amount = -1\n",
          refused=("shop.toml", "rules.max_abs_amount")),
    # --- refused: the file --------------------------------------------------------------------
    Fault("xlsx that is CSV", csv(), source="sales.xlsx",
          refused=("sales.xlsx", "not an Excel workbook", "[source] format"), via_cli=True),
    Fault("empty file", "", refused=("sales.csv", "the file is empty")),
    Fault("wrong delimiter", (HEADER + GOOD).replace(",", ";"),
          refused=("sales.csv", "column 'cust' (mapped to customer_id) not found", "delimited by ';'",
                   "[source] delimiter")),
    Fault("not UTF-8", (HEADER + "c1,o1,2024-01-05 10:00,20.5,2,Caf\xe9\n").replace("qty\n", "qty,note\n")
          .encode("latin-1"), refused=("sales.csv", "not utf-8 text", "byte 0xe9", "[source] encoding")),
    Fault("duplicate headers", "cust,order,when,value,qty,value\nc1,o1,2024-01-05 10:00,20.5,2,99\n",
          refused=("sales.csv", "repeats 'value' (columns 4, 6)")),
    Fault("truncated gzip", gzip_truncated, source="sales.csv.gz",
          refused=("sales.csv.gz", "damaged or truncated")),
    Fault("truncated parquet", parquet_truncated, source="sales.parquet",
          refused=("sales.parquet", "cannot read as parquet")),
    Fault("truncated workbook", workbook_truncated, source="sales.xlsx",
          refused=("sales.xlsx", "cannot read the workbook")),
    Fault("directory, not a file", directory_named_csv, refused=("sales.csv", "a directory, not a csv file")),
    Fault("dangling symlink", dangling_link, refused=("sales.csv", "nowhere.csv", "does not exist")),
    Fault("missing file", None, refused=("sales.csv", "file not found")),
    # --- accepted, every row accounted for ----------------------------------------------------
    Fault("header only", HEADER, rows_in=0),
    Fault("byte order mark", "\ufeff" + csv(), rows_in=1),
    Fault("NaN, infinities and overflow", csv(
        "c2,o2,2024-01-05 10:00,NaN,1", "c2,o3,2024-01-05 10:00,inf,1", "c2,o4,2024-01-05 10:00,-Infinity,1",
        "c2,o5,2024-01-05 10:00,1e999,1", "c2,o6,2024-01-05 10:00,1e308,1", "c2,o7,2024-01-05 10:00,5,1e12"),
        rows_in=7, quarantined={
            2: ("non_numeric_amount", "amount", "value 'NaN' is not a finite number"),
            3: ("non_numeric_amount", "amount", "'inf'"),
            4: ("non_numeric_amount", "amount", "'-Infinity'"),
            5: ("non_numeric_amount", "amount", "'1e999'"),
            6: ("amount_out_of_range", "amount", "value '1e308' is beyond +/-1e+12 (rules.max_abs_amount)"),
            7: ("quantity_out_of_range", "quantity", "value '1e12' is beyond +/-1e+09"),
        }),
    Fault("amount bound from the mapping", csv("c2,o2,2024-01-05 10:00,5000,1"),
          mapping=MAPPING + "max_abs_amount = 1000\n", rows_in=2,
          quarantined={2: ("amount_out_of_range", "amount", "beyond +/-1000")}),
    Fault("thousands separators", csv('c2,o2,2024-01-05 10:00,"1,234.50",1'), rows_in=2,
          quarantined={2: ("non_numeric_amount", "amount", "'1,234.50'")}),
    Fault("thousands separator set", csv('c2,o2,2024-01-05 10:00,"1,234.50",1'),
          mapping=MAPPING + '[parse]\nthousands = ","\n', rows_in=2, check=amounts([20.5, 1234.5])),
    Fault("huge cells", (HEADER.replace("qty", "qty,note") + "c1,o1,2024-01-05 10:00,20.5,2," + "x" * 2_000_000
                         + "\n" + "c" * 300 + ",o2,2024-01-05 10:00,1,1,short\n"), rows_in=2,
          quarantined={2: ("invalid_customer_id", "customer_id", "longer than 128 characters")}),
    Fault("embedded newlines", HEADER.replace("qty", "qty,note") + 'c1,o1,2024-01-05 10:00,20.5,2,"two\nlines"\n'
          + '"c\n2",o2,2024-01-05 10:00,1,1,x\n', rows_in=2,
          quarantined={2: ("invalid_customer_id", "customer_id", "control character")}),
    Fault("NUL bytes in ids", csv("c\x002,o2,2024-01-05 10:00,1,1", "c3,o\x003,2024-01-05 10:00,1,1"), rows_in=3,
          quarantined={2: ("invalid_customer_id", "customer_id", "control character"),
                       3: ("invalid_order_id", "order_id", "control character")}),
    Fault("mixed UTC offsets", csv("c2,o2,2024-01-01T10:00:00+07:00,1,1", "c2,o3,2024-01-01T03:00:00Z,2,1",
                                   "c2,o4,2024-01-01 10:00,3,1", "c2,o5,half past ten,4,1"),
          mapping=MAPPING + '[parse]\ntimezone = "Asia/Ho_Chi_Minh"\n', rows_in=5, via_cli=True,
          quarantined={5: ("unparseable_timestamp", "timestamp", "'half past ten' does not parse")},
          check=utc_hours(["2024-01-05T03:00:00+00:00"] + ["2024-01-01T03:00:00+00:00"] * 3)),
    Fault("ISO forms without a format", csv(
        "c2,o2,2023-01-05,1,1", "c2,o3,2023-01-06 10:30:00,1,1", "c2,o4,2023-01-06T10:00:00,1,1",
        "c2,o5,2023-01-06T10:00,1,1", "c2,o6,2023-01-06 10:00:00.250,1,1", "c2,o7,2023-01-06T11:00:00+01:00,1,1"),
        rows_in=7, check=forms({"ISO 8601": 6, "ISO 8601 with offset": 1})),
    Fault("explicit format stays strict", csv("c2,o2,2023-01-06T10:00,1,1", "c2,o3,2023-01-06 10:00,1,1"),
          mapping=MAPPING + '[parse]\ntimestamp_format = "%Y-%m-%d %H:%M"\n', rows_in=3,
          quarantined={2: ("unparseable_timestamp", "timestamp",
                           "'2023-01-06T10:00' does not match timestamp_format '%Y-%m-%d %H:%M'")},
          check=forms({"timestamp_format '%Y-%m-%d %H:%M'": 2})),
    Fault("day and month order conflict", csv("c2,o2,05/01/2024 10:00,1,1", "c2,o3,13/01/2024 10:00,1,1"),
          rows_in=3, quarantined={3: ("unparseable_timestamp", "timestamp", "timestamp_format or dayfirst")},
          check=utc_hours(["2024-01-05T10:00:00+00:00", "2024-05-01T10:00:00+00:00"])),
    Fault("day-first dates with dayfirst", csv("c2,o2,05/01/2024 10:00,1,1", "c2,o3,13/01/2024 10:00,1,1"),
          mapping=MAPPING + "[parse]\ndayfirst = true\n", rows_in=3,
          check=utc_hours(["2024-01-05T10:00:00+00:00", "2024-01-05T10:00:00+00:00",
                           "2024-01-13T10:00:00+00:00"])),
    Fault("epoch seconds", HEADER + "c1,o1,1704067200,1,1\nc1,o2,1704067200.5,1,1\nc1,o3,17O4067200,1,1\n",
          mapping=MAPPING + '[parse]\ntimestamp_unit = "s"\n', rows_in=3,
          quarantined={3: ("unparseable_timestamp", "timestamp", "'17O4067200' is not a number of 's' since 1970")},
          check=utc_hours(["2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.500000+00:00"])),
    Fault("epoch milliseconds", HEADER + "c1,o1,1704067200123,1,1\n",
          mapping=MAPPING + '[parse]\ntimestamp_unit = "ms"\n', rows_in=1,
          check=utc_hours(["2024-01-01T00:00:00.123000+00:00"])),
    Fault("epoch without a unit", csv("c2,o2,1704067200,1,1"), rows_in=2,
          quarantined={2: ("unparseable_timestamp", "timestamp", 'timestamp_unit = "s"')}),
    Fault("dates far out of range", csv("c2,o2,9999-12-31,1,1", "c2,o3,0001-01-01,1,1"), rows_in=3,
          quarantined={2: ("timestamp_in_future", "timestamp", "'9999-12-31' is after"),
                       3: ("timestamp_before_floor", "timestamp", "'0001-01-01' is before 2000-01-01")}),
    Fault("Excel date cells beside text dates", two_sheets, source="sales.xlsx",
          mapping=MAPPING + "[parse]\ndayfirst = true\n", rows_in=4,
          check=forms({"date cells": 2, "'%d/%m/%Y' (guessed from '05/01/2024')": 2})),
]


@pytest.fixture(scope="module")
def previous_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good earlier ingest, copied into each case's --out before the case runs."""
    root = tmp_path_factory.mktemp("previous")
    (root / "sales.csv").write_text(csv())
    (root / "shop.toml").write_text(MAPPING)
    result = CliRunner().invoke(app, ["ingest", str(root / "sales.csv"), "--mapping", str(root / "shop.toml"),
                                      "--out", str(root / "out"), "--now", NOW])
    assert result.exit_code == 0, result.output
    return root / "out"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def write_case(fault: Fault, root: Path) -> None:
    mapping = root / "shop.toml"
    if isinstance(fault.mapping, bytes):
        mapping.write_bytes(fault.mapping)
    else:
        mapping.write_text(fault.mapping, "utf-8")
    if callable(fault.content):
        fault.content(root)
    elif isinstance(fault.content, bytes):
        (root / fault.source).write_bytes(fault.content)
    elif fault.content is not None:
        (root / fault.source).write_text(fault.content, "utf-8", newline="")


def run_ingest(fault: Fault, root: Path, out: Path) -> tuple[int, str]:
    args = ["ingest", str(root / fault.source), "--mapping", str(root / "shop.toml"), "--out", str(out),
            "--now", NOW, "--json"]
    if fault.via_cli:
        done = subprocess.run([sys.executable, "-m", "serving", *args], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "COLUMNS": "200"})
        return done.returncode, done.stdout if done.returncode == 0 else done.stderr
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_bad_ingest_input(fault: Fault, tmp_path: Path, previous_output: Path) -> None:
    write_case(fault, tmp_path)
    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    for name, data in snapshot(previous_output).items():
        (out / name).write_bytes(data)
    before = snapshot(out)
    code, output = run_ingest(fault, tmp_path, out)
    if fault.refused:
        message = " ".join(output.split())
        assert code == 2, output
        assert "Traceback" not in output and message.startswith("error:"), output
        for fragment in fault.refused:
            assert fragment.lower() in message.lower(), (fragment, message)
        assert snapshot(out) == before, "a refused run changed the previous output"
        assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
        return
    assert code == 0, output
    report = json.loads(output)
    accepted = pd.read_parquet(out / "transactions.parquet")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    assert report["rows_in"] == fault.rows_in
    assert report["rows_in"] == len(accepted) + len(quarantine) == report["rows_accepted"] + report["rows_quarantined"]
    assert report["balanced"]
    got = {int(r.source_row): (r.reason, r.field, r.detail) for r in quarantine.itertuples()}
    assert set(got) == set(fault.quarantined), got
    for row, (reason, column, detail) in fault.quarantined.items():
        assert got[row][:2] == (reason, column), got[row]
        assert detail in got[row][2], got[row]
        assert got[row][0] in report["reasons"]
    assert quarantine["source_file"].eq(str(tmp_path / fault.source)).all()
    if fault.check is not None:
        fault.check(accepted, report)


def test_a_damaged_id_map_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text(csv())
    (tmp_path / "shop.toml").write_text(MAPPING)
    (tmp_path / "id_map.parquet").write_bytes(b"PAR1 not really")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "sales.csv"), "--mapping", str(tmp_path / "shop.toml"),
                                      "--id-map", str(tmp_path / "id_map.parquet"), "--out", str(tmp_path / "out")],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "id_map.parquet: cannot read the id map" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()
