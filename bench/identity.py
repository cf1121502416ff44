"""Benchmark identity resolution on simulated customer records: speed, peak memory and accuracy.

    nice -n 10 .venv/bin/python bench/identity.py --people 400000 --seed 1            # ~1 M records
    nice -n 10 .venv/bin/python bench/identity.py --people 100000 --seed 2 --engine spark

Simulates the records (not timed), resolves them as `insight resolve` does, and prints one
Markdown table row: records, seconds, records/s, peak memory of this Python process (for
--engine spark the Spark JVM, a child still running at the end, is not included) and pairwise /
B-cubed precision and recall against the true person ids.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.identity.evaluate import accuracy  # noqa: E402
from features.identity.resolve import DEFAULT_THRESHOLD, ResolveConfig, resolve  # noqa: E402
from features.identity.simulate import TRUTH_COLUMN, simulate_records  # noqa: E402

HEADER = ("| engine | people | seed | records | seconds | records/s | peak memory GiB "
          "| pairwise P | pairwise R | B-cubed P | B-cubed R |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def peak_memory_gib() -> float:
    """Largest resident set of this process so far, in GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000, help="simulated people (~2.5 records each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    records = simulate_records(args.people, seed=args.seed)
    truth = records.pop(TRUTH_COLUMN)
    started = time.perf_counter()
    resolution = resolve(records, config=ResolveConfig(engine=args.engine, threshold=args.threshold))
    seconds = time.perf_counter() - started
    predicted = resolution.id_map["customer_id"].to_numpy()
    scores = accuracy(truth.to_numpy(), predicted)
    figures = {
        "engine": args.engine, "people": args.people, "seed": args.seed, "records": len(records),
        "seconds": round(seconds, 1), "records_per_second": round(len(records) / seconds),
        "peak_memory_gib": round(peak_memory_gib(), 2), "threshold": args.threshold,
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.as_dict().items()},
    }
    sys.stdout.write(HEADER + "\n")
    sys.stdout.write(
        f"| {args.engine} | {args.people:,} | {args.seed} | {len(records):,} | {seconds:,.0f} "
        f"| {len(records) / seconds:,.0f} | {figures['peak_memory_gib']:.2f} "
        f"| {scores.pairwise_precision:.4f} | {scores.pairwise_recall:.4f} "
        f"| {scores.bcubed_precision:.4f} | {scores.bcubed_recall:.4f} |\n"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
