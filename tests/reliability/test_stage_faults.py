"""Fault suite for the stages after ingest: `insight train` and `insight score` on a damaged
canonical table, `insight audiences` on damaged scores. One table of cases per input.

A refused input must exit 2 with one line naming the file (and the row and field where there is
one), write nothing (no MLflow store, no snapshot) and leave the previous output as it was. An
accepted one must account for every customer. Nothing is trained: every refusal comes before the
models are needed, and the accepted audience cases run on a small hand-made scored base.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


# ---------------------------------------------------------------------------------------------
# audiences: the scores


def scored_base(n: int = 120, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores as `insight score` writes them for `n` customers (the last one returns only, with null
    scores) and the feature snapshot of the same cutoff."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:05d}" for i in range(1, n + 1)]
    churn = rng.beta(2, 3, n)
    scores = pd.DataFrame({
        "customer_id": ids, "status": ["scored"] * (n - 1) + ["returns_only"],
        "segment_name": rng.choice(["loyal regulars", "new customers", "lapsed", "festive one-time buyers"], n),
        "churn_probability": churn.round(4), "expected_orders": (rng.gamma(1.5, 1.0, n)).round(3),
        "p_purchase_30d": ((1 - churn) * 0.4).round(4), "p_purchase_90d": (1 - churn).round(4),
        "predicted_clv": rng.gamma(1.2, 180.0, n).round(2),
        "model_versions": json.dumps({"customer-churn": "3", "customer-clv": "3"}), "as_of": "2023-12-31",
    })
    scores.loc[n - 1, ["churn_probability", "expected_orders", "p_purchase_30d", "p_purchase_90d",
                       "predicted_clv"]] = np.nan
    orders = rng.integers(1, 15, n).astype(float)
    features = pd.DataFrame({
        "customer_id": ids, "orders": orders, "tenure_days": rng.integers(20, 900, n).astype(float),
        "recency_days": rng.integers(1, 400, n).astype(float), "returns": rng.integers(0, 2, n).astype(float),
        "spend_total": (orders * rng.gamma(2.0, 30.0, n)).round(2),
        "spend_90d": rng.gamma(1.0, 40.0, n).round(2), "spend_trend_90d": rng.normal(0, 30, n).round(2),
        "nov_dec_order_share": rng.uniform(0, 1, n).round(3),
    })
    return scores, features


SCORES, FEATURES = scored_base()
HEADER = ",".join(SCORES.columns)


def scores_csv(frame: pd.DataFrame = SCORES) -> str:
    return frame.to_csv(index=False)


def with_cell(row: int, column: str, value: object) -> str:
    """The scores CSV with data row `row` (from 1) of `column` replaced by `value`."""
    frame = SCORES.astype({column: object})
    frame.loc[row - 1, column] = value
    return scores_csv(frame)


@dataclass(frozen=True)
class ScoresFault:
    name: str
    content: str | bytes
    refused: tuple[str, ...] = ()
    """Fragments of the one-line error (after the file name) of a refused input; empty: accepted."""
    suffix: str = ".csv"


WHOLE = scores_csv()
SCORES_FAULTS = [
    ScoresFault("empty file", "", ("cannot be read as scores",)),
    ScoresFault("header only", HEADER + "\n", ("holds no scored customers",)),
    ScoresFault("wrong delimiter", SCORES.to_csv(index=False, sep=";"), ("lacks the score column(s) customer_id",)),
    ScoresFault("not UTF-8", with_cell(7, "segment_name", "habitués").encode("latin-1"),
                ("cannot be read as scores", "0xe9")),
    ScoresFault("duplicate headers", WHOLE.replace("predicted_clv", "churn_probability", 1),
                ("lacks the score column(s) predicted_clv",)),
    ScoresFault("NaN for a scored customer", with_cell(4, "churn_probability", "NaN"),
                ("row 4, churn_probability: is empty for a scored customer",)),
    ScoresFault("infinite value", with_cell(9, "predicted_clv", "inf"),
                ("row 9, predicted_clv: 'inf' is not a finite number",)),
    ScoresFault("thousands separators", with_cell(12, "predicted_clv", "1,234.50"),
                ("row 12, predicted_clv: '1,234.50' is not a number",)),
    ScoresFault("probability above 1", with_cell(3, "p_purchase_90d", 1.7),
                ("row 3, p_purchase_90d: 1.7 is not a probability (0 to 1)",)),
    ScoresFault("repeated customer", with_cell(20, "customer_id", "C00019"),
                ("row 20, customer_id: 'C00019' is repeated",)),
    ScoresFault("empty customer id", with_cell(5, "customer_id", ""), ("row 5, customer_id: is empty",)),
    ScoresFault("as_of not a date", with_cell(30, "as_of", "31/12/2023 or so"),
                ("row 30, as_of: '31/12/2023 or so' is not a date",)),
    ScoresFault("truncated in a row", "".join(WHOLE.splitlines(True)[:61]) + WHOLE.splitlines(True)[61][:30],
                ("row 61, p_purchase_30d: is empty for a scored customer",)),
    ScoresFault("truncated in a quoted cell", "".join(WHOLE.splitlines(True)[:61]) + WHOLE.splitlines(True)[61][:-20],
                ("cannot be read as scores", "EOF inside string")),
    ScoresFault("truncated parquet", b"PAR1" + b"\0" * 300, ("cannot be read as scores",), suffix=".parquet"),
    # --- accepted: every customer accounted for ----------------------------------------------
    ScoresFault("byte order mark", "\ufeff" + WHOLE),
    ScoresFault("huge cell", with_cell(2, "segment_name", "x" * 1_000_000)),
    ScoresFault("embedded newline", with_cell(6, "segment_name", "loyal\nregulars")),
]


@pytest.fixture(scope="module")
def previous_audiences(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Audiences of a good earlier run, copied into each case's --out before it runs."""
    root = tmp_path_factory.mktemp("audiences")
    (root / "scores.csv").write_text(WHOLE)
    FEATURES.to_parquet(root / "features.parquet", index=False)
    result = CliRunner().invoke(app, ["audiences", "--scores", str(root / "scores.csv"), "--features",
                                      str(root / "features.parquet"), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fault", SCORES_FAULTS, ids=[f.name for f in SCORES_FAULTS])
def test_damaged_scores_are_refused_naming_row_and_field(fault: ScoresFault, tmp_path: Path,
                                                         previous_audiences: Path) -> None:
    scores = tmp_path / f"scores{fault.suffix}"
    if isinstance(fault.content, bytes):
        scores.write_bytes(fault.content)
    else:
        scores.write_text(fault.content, "utf-8", newline="")
    out = tmp_path / "out"
    out.mkdir()
    for name, data in contents(previous_audiences / "out").items():
        (out / name).write_bytes(data)
    before = contents(out)
    result = CliRunner().invoke(app, ["audiences", "--scores", str(scores), "--features",
                                      str(previous_audiences / "features.parquet"), "--out", str(out)],
                                env={"COLUMNS": "400"})
    if fault.refused:
        message = one_line_error(result.exit_code, result.output)
        assert f"error: {scores}: " in message
        for fragment in fault.refused:
            assert fragment in message, (fragment, message)
        assert contents(out) == before, "a refused run changed the previous audiences"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        return
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assignments = pd.read_parquet(out / "assignments.parquet")
    assert summary["customers_scored"] == len(SCORES)
    assert summary["customers_in_an_audience"] == len(assignments) == sum(a["customers"] for a in summary["audiences"])
    assert assignments["customer_id"].is_unique and set(assignments["customer_id"]) <= set(SCORES["customer_id"])
    expected = json.loads((previous_audiences / "out" / "summary.json").read_text())
    assert summary["audiences"] == expected["audiences"], "a cell's form changed who is in an audience"
