"""Benchmark: `insight ingest` on a 1 M-row synthetic CSV, against reading the same file with pandas.

    .venv/bin/python bench/ingest.py                          # this checkout, 1,000,000 rows
    .venv/bin/python bench/ingest.py --code /tmp/ingest-base  # also another checkout, same file

Each (checkout, case) runs `features.ingest.ingest` in a fresh process, `--repeats` times,
alternating checkouts so machine load hits both alike; the table shows the median wall time, the
median time of `pandas.read_csv` on the same file in the same process (the baseline), their ratio,
and the ratio of each checkout's median to the first checkout's. Cases differ in how timestamps
are written and whether the mapping gives a `timestamp_format`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "iso-no-format": ("%Y-%m-%d %H:%M:%S", None),
    "iso-format": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"),
    "iso-offset-no-format": ("%Y-%m-%dT%H:%M:%S+07:00", None),
    "dayfirst-format": ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M"),
    "dayfirst-no-format": ("%d/%m/%Y %H:%M", None),
}

WORKER = r"""
import json, sys, time
import pandas as pd
from features.ingest import ingest
from features.ingest.mapping import parse_mapping
source, mapping_text, out = sys.argv[1], sys.argv[2], sys.argv[3]
mapping = parse_mapping(mapping_text)
began = time.perf_counter()
pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
read = time.perf_counter() - began
began = time.perf_counter()
result = ingest(source, mapping, out, now=pd.Timestamp("2030-01-01", tz="UTC"))
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "read_seconds": read, "accepted": result.report["rows_accepted"]}))
"""


def write_csv(path: Path, rows: int, stamp_format: str, seed: int = 0) -> None:
    """`rows` order lines of 100,000 customers over two years, timestamps written as `stamp_format`."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01").value // 10**9
    seconds = np.sort(rng.integers(0, 2 * 365 * 86400, rows)) + start
    stamps = pd.to_datetime(seconds, unit="s")
    frame = pd.DataFrame({
        "customer": np.char.add("C", rng.integers(0, 100_000, rows).astype(str)),
        "order": np.char.add("O", (np.arange(rows) // 3).astype(str)),
        "when": stamps.strftime(stamp_format),
        "value": np.round(rng.gamma(2.0, 20.0, rows), 2).astype(str),
        "qty": rng.integers(1, 6, rows).astype(str),
    })
    frame.to_csv(path, index=False)


def mapping_text(timestamp_format: str | None) -> str:
    parse = f'[parse]\ntimestamp_format = "{timestamp_format}"\n' if timestamp_format else ""
    return ('[columns]\ncustomer_id = "customer"\norder_id = "order"\ntimestamp = "when"\n'
            'amount = "value"\nquantity = "qty"\n' + parse)


def run_once(code: Path, source: Path, mapping: str, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", WORKER, str(source), mapping, str(out)],
                          capture_output=True, text=True, env=env, check=True, cwd=code)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--code", type=Path, action="append", default=[],
                        help="another checkout to time on the same files (e.g. an export of main)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    args = parser.parse_args()
    codes = [ROOT, *args.code]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for case in [c.strip() for c in args.cases.split(",")]:
            stamp_format, timestamp_format = CASES[case]
            source = Path(tmp) / "sales.csv"
            write_csv(source, args.rows, stamp_format)
            mapping = mapping_text(timestamp_format)
            runs: dict[Path, list[dict]] = {code: [] for code in codes}
            for _ in range(args.repeats):
                for code in codes:
                    runs[code].append(run_once(code, source, mapping, Path(tmp) / "out"))
            first = statistics.median(r["seconds"] for r in runs[ROOT])
            for code in codes:
                seconds = statistics.median(r["seconds"] for r in runs[code])
                read = statistics.median(r["read_seconds"] for r in runs[code])
                rows.append((case, "this checkout" if code == ROOT else str(code), seconds, read,
                             seconds / read, seconds / first, runs[code][0]["accepted"]))
    print("| case | code | ingest s | read_csv s | ingest / read_csv | vs this checkout | rows accepted |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for case, code, seconds, read, ratio, versus, accepted in rows:
        print(f"| {case} | {code} | {seconds:.2f} | {read:.2f} | {ratio:.2f} | {versus:.2f} | {accepted:,} |")


if __name__ == "__main__":
    main()
