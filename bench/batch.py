"""Benchmark: batch scoring of a simulated base, DuckDB against Spark local.

    .venv/bin/python bench/batch.py --customers 1000000

Simulates the base once (cached under --data), trains champion models on a 30,000-customer
sample of it into a throw-away MLflow store, then runs `insight score` end to end (features,
drift check, snapshot, all four models, staged Parquet output) once per engine, each in its own
process. Peak memory is the largest sum of resident memory over the process tree (the Spark JVM
included), sampled every 0.1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
INSIGHT = [sys.executable, "-m", "serving"]
AS_OF = dt.date(2023, 12, 31)
TRAIN_AS_OF = dt.date(2023, 9, 30)


def simulate(data: Path, customers: int) -> Path:
    target = data / f"sim_{customers}"
    if not (target / "transactions.parquet").exists():
        subprocess.run([*INSIGHT, "synth", "--out", str(target), "--customers", str(customers), "--seed", "1"],
                       check=True)
    return target / "transactions.parquet"


def train_champions(transactions: Path, store: Path, sample: int) -> None:
    """Champions trained on the first `sample` customers (ids are in acquisition-independent order)."""
    if (store / "mlflow.db").exists():
        return
    import duckdb

    store.mkdir(parents=True, exist_ok=True)
    sample_file = store / "sample.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{transactions}') WHERE customer_id IN "
        f"(SELECT DISTINCT customer_id FROM read_parquet('{transactions}') ORDER BY customer_id LIMIT {sample})) "
        f"TO '{sample_file}' (FORMAT parquet)"
    )
    subprocess.run([*INSIGHT, "train", "--transactions", str(sample_file), "--as-of", TRAIN_AS_OF.isoformat(),
                    "--horizon-days", "90", "--base", "bench"], check=True, cwd=store, env=_env(store))


def run_scoring(transactions: Path, store: Path, engine: str, chunk: int) -> dict:
    out = store / f"scores_{engine}.parquet"
    command = [*INSIGHT, "score", "--transactions", str(transactions), "--as-of", AS_OF.isoformat(),
               "--out", str(out), "--engine", engine, "--chunk-customers", str(chunk), "--base", "bench"]
    began = time.perf_counter()
    process = psutil.Popen(command, cwd=store, env=_env(store), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process))
        time.sleep(0.1)
    elapsed = time.perf_counter() - began
    stdout = process.stdout.read()
    if process.returncode != 0:
        raise RuntimeError(f"{engine} scoring failed:\n{stdout[-2000:]}")
    summary = json.loads(stdout[stdout.index("{"): stdout.rindex("}") + 1])
    return {"engine": engine, "customers": summary["customers"], "seconds": elapsed,
            "inner_seconds": summary["elapsed_seconds"], "peak_gib": peak / 2**30}


def _tree_rss(process: psutil.Process) -> int:
    try:
        members = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in members)
    except psutil.Error:
        return 0


def _env(store: Path) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
            "INSIGHT_SNAPSHOTS": str(store / "snapshots")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/customer-insight-bench"))
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--chunk-customers", type=int, default=250_000)
    parser.add_argument("--train-sample", type=int, default=30_000)
    args = parser.parse_args()

    transactions = simulate(args.data, args.customers)
    store = args.data / f"store_{args.customers}"
    train_champions(transactions, store, args.train_sample)
    rows = [run_scoring(transactions, store, engine, args.chunk_customers) for engine in args.engines.split(",")]
    print(f"batch scoring, {args.customers:,} simulated customers, as of {AS_OF}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("| engine | customers | seconds (end to end) | of which in run_batch | customers/s | peak memory |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['engine']} | {row['customers']:,} | {row['seconds']:.1f} | {row['inner_seconds']:.1f} | "
              f"{row['customers'] / row['seconds']:,.0f} | {row['peak_gib']:.2f} GiB |")


if __name__ == "__main__":
    main()
