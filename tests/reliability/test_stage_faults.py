"""Fault suite for the stages after ingest: `insight train` and `insight score` on a damaged
canonical table. One table of cases per input.

A refused input must exit 2 with one line naming the file (and the row and field where there is
one), write nothing (no MLflow store, no snapshot) and leave the previous output as it was. Nothing
is trained: every refusal comes before the models are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features.schema import to_arrow
from serving.cli import app

# ---------------------------------------------------------------------------------------------
# train and score: the canonical transactions

LINES = pd.DataFrame({
    "customer_id": ["C01", "C01", "C02", "C03", "C03", "C03"],
    "order_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
    "timestamp": pd.to_datetime(["2023-01-05 10:00", "2023-03-01 09:30", "2023-02-11 18:00", "2023-04-02 12:00",
                                 "2023-05-20 08:15", "2023-06-30 20:00"], utc=True),
    "amount": [25.5, 40.0, 12.0, 99.9, 15.0, 60.0],
})


def canonical(root: Path, frame: pd.DataFrame = LINES) -> Path:
    pq.write_table(to_arrow(frame), root / "transactions.parquet")
    return root / "transactions.parquet"


def written_by_pandas(root: Path, frame: pd.DataFrame) -> Path:
    """A table written some other way than `insight ingest` (no canonical types enforced)."""
    frame.to_parquet(root / "transactions.parquet", index=False)
    return root / "transactions.parquet"


def empty_file(root: Path) -> Path:
    (root / "transactions.parquet").write_bytes(b"")
    return root / "transactions.parquet"


def header_only(root: Path) -> Path:
    return canonical(root, LINES.iloc[:0])


def truncated(root: Path) -> Path:
    whole = canonical(root).read_bytes()
    (root / "transactions.parquet").write_bytes(whole[: len(whole) // 2])
    return root / "transactions.parquet"


def csv_named_parquet(root: Path) -> Path:
    (root / "transactions.parquet").write_text(LINES.to_csv(index=False))
    return root / "transactions.parquet"


def truncated_part(root: Path) -> Path:
    """A directory of parts (as Spark writes them) whose second part was cut short."""
    folder = root / "parts"
    folder.mkdir()
    pq.write_table(to_arrow(LINES.iloc[:3]), folder / "part-0.parquet")
    pq.write_table(to_arrow(LINES.iloc[3:]), folder / "part-1.parquet")
    whole = (folder / "part-1.parquet").read_bytes()
    (folder / "part-1.parquet").write_bytes(whole[:-30])
    return folder


def duplicate_columns(root: Path) -> Path:
    table = to_arrow(LINES)
    pq.write_table(pa.Table.from_arrays([*table.columns, table.column("amount")],
                                        names=[*table.column_names, "amount"]), root / "transactions.parquet")
    return root / "transactions.parquet"


def not_finite(*values: float) -> Callable[[Path], Path]:
    def write(root: Path) -> Path:
        frame = LINES.copy()
        frame.loc[len(frame) - len(values):, "amount"] = values
        return written_by_pandas(root, frame)
    return write


def only_later_lines(root: Path) -> Path:
    return canonical(root, LINES.assign(timestamp=LINES["timestamp"] + pd.Timedelta(days=400)))


def under_a_file(root: Path) -> Path:
    (root / "export").write_text("not a folder")
    return root / "export" / "transactions.parquet"


def dangling_link(root: Path) -> Path:
    (root / "transactions.parquet").symlink_to(root / "gone.parquet")
    return root / "transactions.parquet"


@dataclass(frozen=True)
class TableFault:
    name: str
    write: Callable[[Path], Path]
    fragments: tuple[str, ...]
    """Fragments of the one-line error; `{file}` is the path the case wrote."""


AS_OF = "2023-06-30"
TABLE_FAULTS = [
    TableFault("empty file", empty_file, ("{file}: cannot read as Parquet (the file is empty (0 bytes))",
                                          "insight ingest")),
    TableFault("header only", header_only, (f"{{file}}: no transactions on or before {AS_OF}",)),
    TableFault("only lines after the cutoff", only_later_lines, (f"{{file}}: no transactions on or before {AS_OF}",)),
    TableFault("truncated file", truncated, ("{file}: cannot read as Parquet", "magic bytes")),
    TableFault("CSV under a .parquet name", csv_named_parquet, ("{file}: cannot read as Parquet",)),
    TableFault("truncated part of a directory", truncated_part, ("{file}/part-1.parquet: cannot read as Parquet",)),
    TableFault("duplicate columns", duplicate_columns, ("{file}: repeats the column name(s) amount",)),
    TableFault("NaN amount", not_finite(float("nan")),
               ("{file}: 1 transaction(s) with an amount that is not a finite number, the first at row 6",
                "customer_id C03, order_id O6, amount null", "insight ingest")),
    TableFault("infinite amounts", not_finite(float("inf"), -float("inf")),
               ("{file}: 2 transaction(s) with an amount that is not a finite number, the first at row 5",
                "order_id O5, amount inf")),
    TableFault("path under a file", under_a_file, ("no Parquet data at '{file}'", "run `insight ingest` first")),
    TableFault("dangling symlink", dangling_link, ("no Parquet data at '{file}'",)),
]

COMMANDS = {
    "train": ["train", "--as-of", AS_OF, "--horizon-days", "30", "--n-cutoffs", "1"],
    "score": ["score", "--as-of", AS_OF],
}


def one_line_error(exit_code: int, output: str) -> str:
    """The message of a refused run: exit 2, no traceback, one `error:` line (joined if wrapped)."""
    message = " ".join(output.split())
    assert exit_code == 2, output
    assert "Traceback" not in output and message.startswith("error:"), output
    assert len([line for line in output.splitlines() if line.strip()]) == 1, output
    return message


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fault", TABLE_FAULTS, ids=[f.name for f in TABLE_FAULTS])
def test_a_damaged_transaction_table_is_refused_before_any_work(fault: TableFault, command: str,
                                                                tmp_path: Path) -> None:
    source = fault.write(tmp_path)
    before = {p.name: p.read_bytes() for p in source.rglob("*") if p.is_file()} if source.is_dir() else (
        source.read_bytes() if source.is_file() else None)
    previous = tmp_path / "scores.parquet"
    previous.write_bytes(b"yesterday's scores")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "INSIGHT_SNAPSHOTS": str(tmp_path / "snap"),
           "COLUMNS": "400"}
    args = [*COMMANDS[command], "--transactions", str(source)]
    if command == "score":
        args += ["--out", str(previous)]
    result = CliRunner().invoke(app, args, env=env)
    message = one_line_error(result.exit_code, result.output)
    for fragment in fault.fragments:
        assert fragment.format(file=source) in message, (fragment, message)
    assert previous.read_bytes() == b"yesterday's scores"
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "snap").exists()
    assert not (tmp_path / "mlruns").exists()
    after = {p.name: p.read_bytes() for p in source.rglob("*") if p.is_file()} if source.is_dir() else (
        source.read_bytes() if source.is_file() else None)
    assert after == before, "the input was changed"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "leftovers beside --out"
