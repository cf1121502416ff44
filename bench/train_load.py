"""Benchmark: `insight train` on CDNOW alone and beside a CPU hog busy on every core.

    .venv/bin/python bench/train_load.py [--rounds 1] [--policies PASSIVE,ACTIVE]

Ingests the CDNOW master log once, then trains as the demo does (as of 1997-12-31, 182-day
horizon) in a fresh MLflow store per run, each in its own process: idle, then with one busy-looping
process per core running beside it. Each OpenMP wait policy given is measured (PASSIVE is the
project's default; ACTIVE is what LightGBM used before). Prints a Markdown table, a row per policy and round as
it is measured: wall seconds, CPU seconds of the training process, and the ratio under load to
idle for the same policy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSIGHT = [sys.executable, "-m", "serving"]


def hog(stop) -> None:
    """Keep one core busy until `stop` is set."""
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def ingest(root: Path) -> Path:
    target = root / "cdnow"
    subprocess.run([*INSIGHT, "ingest", "--preset", "cdnow", "--out", str(target)], check=True,
                   capture_output=True)
    return target


def train_once(transactions: Path, policy: str) -> tuple[float, float]:
    """Wall and CPU seconds of one `insight train` in a fresh store."""
    with tempfile.TemporaryDirectory() as store:
        env = {**os.environ, "OMP_WAIT_POLICY": policy, "MLFLOW_TRACKING_URI": f"sqlite:///{store}/mlflow.db"}
        began = time.perf_counter()
        before = os.times()
        subprocess.run([*INSIGHT, "train", "--transactions", str(transactions), "--as-of", "1997-12-31",
                        "--horizon-days", "182", "--base", "cdnow"], check=True, env=env, cwd=store,
                       capture_output=True)
        after = os.times()
        return time.perf_counter() - began, (after.children_user - before.children_user
                                             + after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--policies", default="PASSIVE,ACTIVE")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"| OMP_WAIT_POLICY | idle wall s | idle CPU s | with {cores} busy processes wall s | CPU s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |", flush=True)
    with tempfile.TemporaryDirectory() as root:
        transactions = ingest(Path(root))
        for policy in args.policies.split(","):
            for _ in range(args.rounds):
                idle = train_once(transactions, policy)
                stop = multiprocessing.Event()
                hogs = [multiprocessing.Process(target=hog, args=(stop,)) for _ in range(cores)]
                for process in hogs:
                    process.start()
                try:
                    loaded = train_once(transactions, policy)
                finally:
                    stop.set()
                    for process in hogs:
                        process.join()
                (idle_wall, idle_cpu), (load_wall, load_cpu) = idle, loaded
                print(f"| {policy} | {idle_wall:.1f} | {idle_cpu:.1f} | {load_wall:.1f} | {load_cpu:.1f} | "
                      f"{load_wall / idle_wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()
