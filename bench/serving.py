"""Benchmark: the real-time scoring service (`insight serve`) under load on loopback.

    nice -n 10 .venv/bin/python bench/serving.py                 # 60 s per phase
    nice -n 10 .venv/bin/python bench/serving.py --seconds 5     # smoke run

Builds a throw-away workspace (CDNOW ingested, champions trained as `insight demo` does, the
snapshot of 1998-06-30 saved), starts `insight serve` on a free loopback port and drives
POST /score with closed-loop asyncio clients (aiohttp, one keep-alive connection per client):
one id per request at 1 and at --clients clients, then --batch ids per request. Every answer is
checked (HTTP 200, one `ok` entry per requested id); anything else counts as an error.

In the same run the champions and the snapshot are loaded in-process and the same kind of
customers are scored directly with `training.predict.score` (the model prediction) and with the
service's handler `serving.realtime.score_ids` plus JSON encoding (the service minus HTTP), so
the service's overhead shows as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import numpy as np
import psutil
from load_clients import client_loop
from process_stats import cpu_seconds

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from serving.local_service import LocalService, free_port, launch, stop, wait_ready  # noqa: E402
from serving.realtime import score_ids  # noqa: E402
from serving.sources import load_from_mlflow  # noqa: E402
from serving.state import ServingSet  # noqa: E402
from serving_workspace import (  # noqa: E402
    API_KEY, SNAPSHOT_AS_OF, build_workspace, inside, service_env, workspace_env)
from training.predict import score_frame  # noqa: E402

WARM_UP_S = 3.0
TARGETS = {"p50_ms": 10.0, "p99_ms": 50.0, "batch_customers_per_s": 20_000}


@dataclass(frozen=True)
class Phase:
    name: str
    ids_per_request: int
    clients: int


@dataclass(frozen=True)
class PhaseResult:
    phase: Phase
    seconds: float
    latencies_ms: np.ndarray
    errors: int
    service_cpu_s: float
    client_cpu_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def customers_per_s(self) -> float:
        return len(self.latencies_ms) * self.phase.ids_per_request / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else float("nan")


@dataclass(frozen=True)
class Baseline:
    name: str
    ids_per_call: int
    latencies_ms: np.ndarray

    @property
    def customers_per_s(self) -> float:
        return self.ids_per_call * 1000 / float(np.mean(self.latencies_ms))

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))


def request_bodies(ids: list[str], per_request: int, count: int, seed: int) -> list[tuple[bytes, int]]:
    """`count` JSON bodies of `per_request` distinct random snapshot ids, encoded up front."""
    rng = random.Random(seed)
    return [(json.dumps({"customer_ids": rng.sample(ids, per_request)}).encode(), per_request)
            for _ in range(count)]


async def drive(url: str, bodies: list[tuple[bytes, int]], clients: int,
                seconds: float) -> tuple[list[float], int, float]:
    """`clients` concurrent clients over one connection pool for `seconds`; latencies, errors, wall time."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    latencies: list[float] = []
    errors = [0]
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
        warm_until = time.perf_counter() + min(WARM_UP_S, seconds)
        await asyncio.gather(*(client_loop(session, url, bodies, k * 97, warm_until, [], [0])
                               for k in range(clients)))
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(*(client_loop(session, url, bodies, k * 97, until, latencies, errors)
                               for k in range(clients)))
        wall = time.perf_counter() - began
    return latencies, errors[0], wall


def run_phase(service: LocalService, phase: Phase, ids: list[str], seconds: float, seed: int) -> PhaseResult:
    """One load phase against POST /score, with the CPU time the service and this process used."""
    bodies = request_bodies(ids, phase.ids_per_request, 2000 if phase.ids_per_request == 1 else 200, seed)
    server, me = psutil.Process(service.pid), psutil.Process()
    server_before, me_before = cpu_seconds(server), cpu_seconds(me, descendants=False)
    latencies, errors, wall = asyncio.run(drive(f"{service.url}/score", bodies, phase.clients, seconds))
    return PhaseResult(phase, wall, np.asarray(latencies), errors, cpu_seconds(server) - server_before,
                       cpu_seconds(me, descendants=False) - me_before)


def time_calls(call: Callable[[list[str]], object], batches: list[list[str]], seconds: float) -> np.ndarray:
    """Milliseconds per call of `call` over `batches` (cycled) for about `seconds`, after one warm-up call."""
    call(batches[0])
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < until:
        batch = batches[i % len(batches)]
        i += 1
        began = time.perf_counter()
        call(batch)
        latencies.append((time.perf_counter() - began) * 1000)
    return np.asarray(latencies)


def in_process(serving: ServingSet, ids: list[str], batch: int, seconds: float, seed: int) -> list[Baseline]:
    """The champions' prediction and the service's handler, timed in this process on random snapshot ids."""
    rng = random.Random(seed)
    singles = [[rng.choice(ids)] for _ in range(2000)]
    batches = [rng.sample(ids, batch) for _ in range(50)]
    snapshot = serving.snapshot

    def predict(chosen: list[str]) -> object:
        return score_frame(serving.models, snapshot.loc[chosen].reset_index())

    def handle(chosen: list[str]) -> object:
        return score_ids(serving, chosen).model_dump_json()

    return [Baseline("model prediction (`training.predict.score`)", 1, time_calls(predict, singles, seconds)),
            Baseline("model prediction (`training.predict.score`)", batch, time_calls(predict, batches, seconds)),
            Baseline("service handler (`score_ids` + JSON)", 1, time_calls(handle, singles, seconds)),
            Baseline("service handler (`score_ids` + JSON)", batch, time_calls(handle, batches, seconds))]


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def report(results: list[PhaseResult], baselines: list[Baseline], customers: int, state: dict[str, str]) -> None:
    """The Markdown tables: service phases, in-process baselines, ratios and targets."""
    print(f"\nPOST /score on loopback, CDNOW snapshot of {SNAPSHOT_AS_OF} ({customers:,} customers), "
          f"{os.cpu_count()} cores; load average (1/5/15 min) {state['start']} at the start, "
          f"{state['end']} at the end\n")
    print("| phase | ids/request | clients | seconds | requests | errors | p50 ms | p99 ms | requests/s | "
          "customers/s | service CPU | load-generator CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.phase.name} | {r.phase.ids_per_request} | {r.phase.clients} | {r.seconds:.0f} | "
              f"{r.requests:,} | {r.errors} | {r.percentile(50):.2f} | {r.percentile(99):.2f} | "
              f"{len(r.latencies_ms) / r.seconds:,.0f} | {r.customers_per_s:,.0f} | "
              f"{r.service_cpu_s / r.seconds:.0%} | {r.client_cpu_s / r.seconds:.0%} |")
    print("\n| in-process (no HTTP) | ids/call | calls | p50 ms | p99 ms | customers/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for b in baselines:
        print(f"| {b.name} | {b.ids_per_call} | {len(b.latencies_ms):,} | {b.percentile(50):.3f} | "
              f"{b.percentile(99):.3f} | {b.customers_per_s:,.0f} |")
    print_checks(results, baselines)


def print_checks(results: list[PhaseResult], baselines: list[Baseline]) -> None:
    """Targets of the issue and the service against the in-process baselines."""
    single, crowd, batch = results
    predict_one, predict_batch, handle_one, handle_batch = baselines
    errors = sum(r.errors for r in results)
    rows = [
        (f"p50, 1 id, {crowd.phase.clients} clients", f"{crowd.percentile(50):.2f} ms", f"< {TARGETS['p50_ms']:.0f} ms",
         crowd.percentile(50) < TARGETS["p50_ms"]),
        (f"p99, 1 id, {crowd.phase.clients} clients", f"{crowd.percentile(99):.2f} ms", f"< {TARGETS['p99_ms']:.0f} ms",
         crowd.percentile(99) < TARGETS["p99_ms"]),
        (f"throughput, {batch.phase.ids_per_request} ids/request", f"{batch.customers_per_s:,.0f} customers/s",
         f">= {TARGETS['batch_customers_per_s']:,} customers/s",
         batch.customers_per_s >= TARGETS["batch_customers_per_s"]),
        ("errors, all phases", str(errors), "0", errors == 0),
    ]
    print("\n| target | measured | target | met |\n|---|---:|---:|---|")
    for name, measured, target, met in rows:
        print(f"| {name} | {measured} | {target} | {'yes' if met else '**no**'} |")
    print("\n| service / in-process | ratio |\n|---|---:|")
    print(f"| p50, 1 id, 1 client / model prediction of 1 customer | "
          f"{single.percentile(50) / predict_one.percentile(50):.2f}x |")
    print(f"| p50, 1 id, 1 client / handler for 1 customer | "
          f"{single.percentile(50) / handle_one.percentile(50):.1f}x |")
    print(f"| model prediction / service, customers/s at {batch.phase.ids_per_request} ids | "
          f"{predict_batch.customers_per_s / batch.customers_per_s:.2f}x |")
    print(f"| handler / service, customers/s at {batch.phase.ids_per_request} ids | "
          f"{handle_batch.customers_per_s / batch.customers_per_s:.1f}x |")


def run(root: Path, seconds: float, clients: int, batch: int, batch_clients: int, seed: int) -> None:
    """Train (unless reused), serve, load, compare in-process, stop."""
    os.environ.update(workspace_env(root))
    build_workspace(root)
    with inside(root):
        serving = load_from_mlflow()
    ids = serving.snapshot.index.astype(str).tolist()
    state = {"start": load_line()}
    service = launch(free_port(), root / "service.log", service_env(root), cwd=root)
    try:
        wait_ready(service)
        phases = [Phase("one customer", 1, 1), Phase("one customer, concurrent", 1, clients),
                  Phase("batch", batch, batch_clients)]
        results = [run_phase(service, phase, ids, seconds, seed + n) for n, phase in enumerate(phases)]
    finally:
        stop(service)
    baselines = in_process(serving, ids, batch, min(seconds, 20.0), seed)
    state["end"] = load_line()
    report(results, baselines, len(ids), state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="Measured seconds per load phase.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients of the latency phase.")
    parser.add_argument("--batch", type=int, default=500, help="Ids per request of the throughput phase.")
    parser.add_argument("--batch-clients", type=int, default=4, help="Concurrent clients of the throughput phase.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Keep the trained workspace here and reuse it on the next run (default: a temp dir).")
    args = parser.parse_args()
    if args.workdir is not None:
        run(args.workdir.resolve(), args.seconds, args.clients, args.batch, args.batch_clients, args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        run(Path(tmp), args.seconds, args.clients, args.batch, args.batch_clients, args.seed)


if __name__ == "__main__":
    main()
