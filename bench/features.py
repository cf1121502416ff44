"""Benchmark: the feature pipeline on ~10 M simulated transactions, on DuckDB, on Spark local and
against a plain pandas implementation; and its BTYD subset against lifetimes.

    .venv/bin/python bench/features.py                      # simulates 680,000 customers once
    .venv/bin/python bench/features.py --transactions /tmp/bench/sim10m --pandas-rows 2000000

Each variant runs in its own process and is timed from reading the Parquet input to the feature
table in pandas (imports and the Spark JVM start are excluded; JVM start-up is shown apart). Peak
memory is the peak resident set (VmHWM, what getrusage's ru_maxrss reports) of the worker process
plus that of its children, i.e. the Spark JVM, read just before they exit; a fresh process per
variant keeps one variant's memory out of the next. CPU seconds (user + system, the JVM included)
show how much of the wall time other load on a shared machine took away. Ratios compare
throughput (rows/s) with the pipeline on DuckDB on the same input file. Before timing, the pandas
baseline and lifetimes are checked against the pipeline on a small sample, so every variant
computes the same thing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from process_stats import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2023, 12, 31)
SEED = 1
CHECK_CUSTOMERS = 3_000
VARIANTS = ("duckdb", "pandas", "btyd-duckdb", "lifetimes", "spark")
DESCRIPTIONS = {
    "duckdb": "features.pipeline.build_features, DuckDB",
    "spark": "features.pipeline.build_features, Spark local[*]",
    "pandas": "bench/pandas_features.py (pandas baseline)",
    "btyd-duckdb": "build_btyd_summary(monetary=False), DuckDB",
    "lifetimes": "lifetimes summary_data_from_transaction_data (baseline)",
}
TARGETS = {"duckdb_seconds": 20.0, "duckdb_peak_gib": 6.0, "vs_pandas": 5.0, "vs_lifetimes": 10.0}


@dataclass(frozen=True)
class Result:
    """One timed variant on one input file."""

    variant: str
    input: str
    rows: int
    customers: int
    seconds: float
    cpu_seconds: float
    startup_seconds: float
    peak_gib: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


# --- data ---------------------------------------------------------------------------------------


def simulated_transactions(data: Path, customers: int) -> Path:
    """The simulated transactions for `customers` under `data`, simulated on first use."""
    target = data / f"sim_{customers}"
    if not (target / "transactions.parquet").exists():
        subprocess.run(
            [sys.executable, "-m", "serving", "synth", "--out", str(target), "--customers", str(customers),
             "--seed", str(SEED)],
            check=True,
        )
    return target / "transactions.parquet"


def parquet_file(path: Path) -> Path:
    """`path` itself, or the transactions.parquet inside a directory from `insight synth`/`ingest`."""
    from features.schema import TRANSACTIONS_FILE

    if path.is_dir():
        path = path / TRANSACTIONS_FILE
    if not path.exists():
        raise SystemExit(f"error: no transactions at '{path}'; run `insight synth --out DIR` or drop --transactions")
    return path


def row_count(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def customer_sample(source: Path, rows: int, cache: Path) -> Path:
    """Whole customers, in customer_id order, holding at most `rows` lines; cached next to `cache`."""
    import duckdb

    target = cache / f"{source.stem}_sample_{rows}.parquet"
    if target.exists():
        return target
    from features.atomic import atomic_file

    query = f"""
        WITH sizes AS (
            SELECT customer_id, count(*) AS n FROM read_parquet('{source}') GROUP BY customer_id
        ), kept AS (
            SELECT customer_id FROM (
                SELECT customer_id, sum(n) OVER (ORDER BY customer_id) AS running FROM sizes
            ) WHERE running <= {int(rows)}
        )
        SELECT * FROM read_parquet('{source}') WHERE customer_id IN (SELECT customer_id FROM kept)
        ORDER BY customer_id, timestamp
    """
    with atomic_file(target) as tmp:
        duckdb.sql(f"COPY ({query}) TO '{tmp}' (FORMAT parquet)")
    return target


# --- agreement checks ---------------------------------------------------------------------------


def check_agreement(source: Path, as_of: dt.date) -> str:
    """Assert that the pandas baseline and lifetimes compute what the pipeline computes, on the
    first CHECK_CUSTOMERS customers; returns a one-line summary."""
    import duckdb
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    from bench.pandas_features import pandas_features
    from features.pipeline import build_btyd_summary, build_features

    lines = duckdb.sql(
        f"SELECT * FROM read_parquet('{source}') WHERE customer_id IN "
        f"(SELECT DISTINCT customer_id FROM read_parquet('{source}') ORDER BY customer_id LIMIT {CHECK_CUSTOMERS})"
    ).df()
    pipeline = build_features(lines, as_of)
    baseline = pandas_features(lines, as_of)
    pd.testing.assert_frame_equal(pipeline, baseline, check_dtype=False, rtol=1e-9, atol=1e-9)

    # lifetimes counts every line's day as a purchase day; the pipeline counts only days with a
    # purchase order (returns and zero-value orders are not purchases). They must agree exactly on
    # customers whose lines are all positive.
    positive = lines.groupby("customer_id")["amount"].min() > 0
    clean = lines[lines["customer_id"].isin(positive[positive].index)]
    ours = build_btyd_summary(clean, as_of, monetary=False).set_index("customer_id")
    theirs = _lifetimes_summary(clean, as_of, summary_data_from_transaction_data)
    theirs = theirs.rename(columns={"frequency": "btyd_frequency", "recency": "btyd_recency", "T": "btyd_T"})
    pd.testing.assert_frame_equal(ours.sort_index(), theirs.sort_index(), check_dtype=False, check_names=False)
    return (
        f"checked before timing: pandas baseline == pipeline on {len(pipeline):,} customers x "
        f"{pipeline.shape[1] - 1} feature columns; lifetimes == build_btyd_summary on the {len(ours):,} of them "
        f"without returns or zero-value lines"
    )


def _lifetimes_summary(lines, as_of: dt.date, summary_function):
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Converting to Period")
        return summary_function(
            lines[["customer_id", "timestamp"]],
            "customer_id",
            "timestamp",
            observation_period_end=pd.Timestamp(as_of, tz="UTC"),
            freq="D",
        )


# --- one variant, in a worker process ------------------------------------------------------------


def run_variant(variant: str, source: Path, as_of: dt.date, spark_memory: str) -> dict[str, float]:
    """Time `variant` on `source` in this process: seconds, start-up seconds, customers and the
    peak memory of this process and its children (the Spark JVM)."""
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    from bench.pandas_features import COLUMNS, pandas_features
    from features.engine import connect
    from features.pipeline import build_btyd_summary, build_features

    started = time.perf_counter()
    backend = connect("spark", memory_limit=spark_memory) if variant == "spark" else None
    startup = time.perf_counter() - started
    cpu_before = cpu_seconds(psutil.Process())
    began = time.perf_counter()
    if variant in ("duckdb", "spark"):
        table = build_features(source, as_of, engine=variant, backend=backend)
    elif variant == "pandas":
        table = pandas_features(pd.read_parquet(source, columns=list(COLUMNS)), as_of)
    elif variant == "btyd-duckdb":
        table = build_btyd_summary(source, as_of, monetary=False)
    elif variant == "lifetimes":
        lines = pd.read_parquet(source, columns=["customer_id", "timestamp"])
        table = _lifetimes_summary(lines, as_of, summary_data_from_transaction_data)
    else:
        raise ValueError(f"unknown variant '{variant}'; choose one of: {', '.join(VARIANTS)}")
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "cpu_seconds": cpu_seconds(psutil.Process()) - cpu_before,
            "startup_seconds": startup, "customers": len(table), "peak_bytes": peak_rss_bytes(psutil.Process())}


def peak_rss_bytes(process: psutil.Process) -> int:
    """Sum of the peak resident memory (VmHWM) of `process` and its live descendants: an upper
    bound on the peak of the whole tree, read before the children (a JVM) exit."""
    total = 0
    for member in (process, *process.children(recursive=True)):
        try:
            status = Path(f"/proc/{member.pid}/status").read_text()
        except OSError:
            continue
        hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
        total += int(hwm) * 1024
    return total


def measure(variant: str, source: Path, as_of: dt.date, spark_memory: str, workdir: Path) -> Result:
    """Run `variant` in a child process of its own and read back its timings and peak memory."""
    result_file = workdir / f"{variant}_{source.stem}.json"
    log_file = workdir / f"{variant}_{source.stem}.log"
    result_file.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", variant, "--transactions", str(source),
               "--as-of", as_of.isoformat(), "--spark-memory", spark_memory, "--result", str(result_file)]
    with log_file.open("w") as log:
        finished = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"error: variant '{variant}' failed (exit {finished.returncode}); see {log_file}:\n"
                         + log_file.read_text()[-2000:])
    measured = json.loads(result_file.read_text())
    return Result(variant=variant, input=str(source), rows=row_count(source), customers=measured["customers"],
                  seconds=measured["seconds"], cpu_seconds=measured["cpu_seconds"],
                  startup_seconds=measured["startup_seconds"],
                  peak_gib=measured["peak_bytes"] / 2**30)


# --- report -------------------------------------------------------------------------------------


def ratio_against(result: Result, results: list[Result], reference_variant: str) -> float | None:
    """Throughput of `reference_variant` on the same input divided by that of `result`."""
    reference = next((r for r in results if r.variant == reference_variant and r.input == result.input), None)
    return None if reference is None else reference.rows_per_second / result.rows_per_second


def report(results: list[Result], full_rows: int, loads: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The Markdown table and the target verdicts."""
    lines = [
        "| variant | input rows | customers | seconds | CPU seconds | rows/s | peak memory | pipeline speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        reference = {"pandas": "duckdb", "lifetimes": "btyd-duckdb"}.get(result.variant)
        speedup = ratio_against(result, results, reference) if reference else None
        sample = "" if result.rows == full_rows else " (sample)"
        startup = f" + {result.startup_seconds:.1f} JVM start" if result.variant == "spark" else ""
        lines.append(
            f"| {DESCRIPTIONS[result.variant]} | {result.rows:,}{sample} | {result.customers:,} | "
            f"{result.seconds:.1f}{startup} | {result.cpu_seconds:.1f} | {result.rows_per_second:,.0f} | "
            f"{result.peak_gib:.2f} GiB | "
            f"{f'{speedup:.1f}x' if speedup else ''} |"
        )
    lines.append("")
    lines.extend(verdicts(results, full_rows))
    before, after = loads
    lines.append(
        f"\n{os.cpu_count()} cores; load average (1/5/15 min) {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f} "
        f"before, {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after."
    )
    return "\n".join(lines)


def verdicts(results: list[Result], full_rows: int) -> list[str]:
    """One line per target: measured value, target, met or missed."""
    out = []
    duckdb_full = next((r for r in results if r.variant == "duckdb" and r.rows == full_rows), None)
    if duckdb_full is not None:
        out.append(_verdict(f"DuckDB, full {full_rows:,} rows: {duckdb_full.seconds:.1f} s",
                            duckdb_full.seconds < TARGETS["duckdb_seconds"], f"< {TARGETS['duckdb_seconds']:.0f} s"))
        out.append(_verdict(f"DuckDB peak memory {duckdb_full.peak_gib:.2f} GiB",
                            duckdb_full.peak_gib < TARGETS["duckdb_peak_gib"], f"< {TARGETS['duckdb_peak_gib']:.0f} GiB"))
    for baseline, reference, target in (("pandas", "duckdb", "vs_pandas"), ("lifetimes", "btyd-duckdb", "vs_lifetimes")):
        for result in (r for r in results if r.variant == baseline):
            speedup = ratio_against(result, results, reference)
            if speedup is not None:
                where = "same sample" if result.rows != full_rows else "full data"
                out.append(_verdict(f"{reference} vs {baseline} ({where}): {speedup:.1f}x",
                                    speedup >= TARGETS[target], f">= {TARGETS[target]:.0f}x"))
    return out


def _verdict(measured: str, met: bool, target: str) -> str:
    return f"- {measured} (target {target}): {'met' if met else 'MISSED'}"


def plan(full: Path, pandas_input: Path, lifetimes_input: Path, variants: list[str]) -> list[tuple[str, Path]]:
    """(variant, input) pairs to run: every variant on its input, plus the pipeline on any sample
    a baseline runs on so that each speed-up compares like with like."""
    inputs = {"duckdb": full, "spark": full, "pandas": pandas_input, "btyd-duckdb": lifetimes_input,
              "lifetimes": lifetimes_input}
    runs = [(variant, inputs[variant]) for variant in variants]
    if "pandas" in variants and pandas_input != full:
        runs.insert(runs.index(("pandas", pandas_input)), ("duckdb", pandas_input))
    if "lifetimes" in variants and "btyd-duckdb" not in variants:
        runs.insert(runs.index(("lifetimes", lifetimes_input)), ("btyd-duckdb", lifetimes_input))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=Path, help="Parquet file or directory to use instead of simulating.")
    parser.add_argument("--data", type=Path, default=Path("/tmp/customer-insight-bench"),
                        help="Cache directory for the simulated data and samples.")
    parser.add_argument("--customers", type=int, default=680_000, help="Customers to simulate (~15 lines each).")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--pandas-rows", type=int, help="Run pandas on a sample of whole customers of about N rows.")
    parser.add_argument("--lifetimes-rows", type=int, help="Run lifetimes (and the BTYD subset) on such a sample.")
    parser.add_argument("--spark-memory", default="6g", help="Spark driver memory.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        args.result.write_text(json.dumps(run_variant(args.worker, args.transactions, args.as_of, args.spark_memory)))
        return

    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from: {', '.join(VARIANTS)}")
    args.data.mkdir(parents=True, exist_ok=True)
    full = parquet_file(args.transactions) if args.transactions else simulated_transactions(args.data, args.customers)
    full_rows = row_count(full)
    pandas_input = customer_sample(full, args.pandas_rows, args.data) if args.pandas_rows else full
    lifetimes_input = customer_sample(full, args.lifetimes_rows, args.data) if args.lifetimes_rows else full
    print(check_agreement(full, args.as_of), flush=True)

    loads_before = os.getloadavg()
    results = []
    workdir = args.data / "runs"
    workdir.mkdir(exist_ok=True)
    for variant, source in plan(full, pandas_input, lifetimes_input, variants):
        result = measure(variant, source, args.as_of, args.spark_memory, workdir)
        print(f"{variant} on {result.rows:,} rows: {result.seconds:.1f} s, peak {result.peak_gib:.2f} GiB", flush=True)
        results.append(result)
    loads_after = os.getloadavg()
    print(f"\nfeatures as of {args.as_of}, {full_rows:,} transactions in {full}\n")
    print(report(results, full_rows, (loads_before, loads_after)))
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "rows_per_second": r.rows_per_second} for r in results],
                                        indent=2))


if __name__ == "__main__":
    main()
