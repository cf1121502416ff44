"""Benchmark: the scoring service under concurrent load while POST /reload is called back to back.

    nice -n 10 .venv/bin/python bench/reload_load.py --workdir /tmp/bench-serving   # 16 clients, 60 s
    nice -n 10 .venv/bin/python bench/reload_load.py --seconds 10                   # smoke run

Runs over the workspace of bench/serving.py (`serving_workspace`: CDNOW, champions as `insight
demo` trains them, the snapshot of 1998-06-30; `--workdir` shares one training between runs). A
second version of the churn champion is registered from the same run, and between two reloads
the `champion` alias moves from one to the other, so every reload swaps a model set. Then
`--clients` closed-loop clients run for `--seconds`: `--history-clients` of them send
POST /score_history with one buyer's lines up to the snapshot date, the others
POST /score with one snapshot id, while one more client calls POST /reload again as soon as the
previous reload answered. A failed request is any answer that is not a correct 200: for /score
and /score_history one `ok` entry per customer, for /reload `reloaded: true` with no error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
import pandas as pd
from load_clients import VERSION_OF, client_loop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from mlflow import MlflowClient  # noqa: E402

from features.pipeline import load_latest_snapshot  # noqa: E402
from training.bases import Base  # noqa: E402
from training.champions import CHAMPION, current_set, record_set  # noqa: E402
from features.schema import TRANSACTIONS_FILE  # noqa: E402
from serving.local_service import free_port, launch, stop, wait_ready  # noqa: E402
from serving_workspace import API_KEY, build_workspace, inside, service_env, workspace_env  # noqa: E402

RELOAD_TIMEOUT_S = 300


@dataclass
class Route:
    """What the clients of one route measured."""

    name: str
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=lambda: [0])

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors[0]

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


def snapshot_ids(root: Path) -> tuple[list[str], dt.date]:
    """The served snapshot's cutoff and its customers whose status is scored (answered `ok`)."""
    frame, as_of = load_latest_snapshot(root / "snapshots")
    return frame.index[frame["status"].eq("scored").to_numpy()].astype(str).tolist(), as_of


def history_bodies(root: Path, as_of: dt.date, count: int, seed: int) -> list[tuple[bytes, int]]:
    """`count` /score_history bodies, each one random buyer's lines up to `as_of`."""
    lines = pd.read_parquet(root / "transactions" / TRANSACTIONS_FILE)
    lines = lines[lines["timestamp"] < pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)]
    buyers = sorted(lines.loc[lines["amount"] > 0, "customer_id"].astype(str).unique())
    by_customer = dict(tuple(lines.groupby(lines["customer_id"].astype(str))))
    rng = random.Random(seed)
    bodies = []
    for customer in rng.sample(buyers, count):
        transactions = [{"order_id": str(r.order_id), "timestamp": r.timestamp.isoformat(), "amount": float(r.amount),
                         **({} if pd.isna(r.quantity) else {"quantity": float(r.quantity)})}
                        for r in by_customer[customer].itertuples()]
        body = {"as_of": as_of.isoformat(), "customers": [{"customer_id": customer, "transactions": transactions}]}
        bodies.append((json.dumps(body).encode(), 1))
    return bodies


def second_champion() -> tuple[str, str]:
    """The churn champion's version and a second version registered from the same run."""
    client = MlflowClient()
    champion = client.get_model_version_by_alias(VERSION_OF, "champion")
    twin = client.create_model_version(VERSION_OF, source=champion.source, run_id=champion.run_id)
    return str(champion.version), str(twin.version)


def promote_churn(client: MlflowClient, version: str) -> None:
    """Record a champion set with `version` as the churn model (the others kept), as a promotion does."""
    current = current_set(client, Base())
    record_set(client, Base(), {**current.versions, "churn": version}, alias=CHAMPION, run_id=None,
               source=client.get_model_version(VERSION_OF, version).source, reason="bench: alternate churn versions")


async def reload_loop(session: aiohttp.ClientSession, url: str, versions: tuple[str, str], until: float,
                      route: Route) -> None:
    """POST /reload back to back until `until`, moving the churn champion alias before each call."""
    client = MlflowClient()
    n = 0
    while time.perf_counter() < until:
        n += 1
        await asyncio.to_thread(promote_churn, client, versions[n % 2])
        began = time.perf_counter()
        try:
            async with session.post(url, data=b"{}", timeout=aiohttp.ClientTimeout(total=RELOAD_TIMEOUT_S)) as answer:
                status, body = answer.status, await answer.read()
        except (aiohttp.ClientError, asyncio.TimeoutError):
            route.errors[0] += 1
            continue
        outcome = json.loads(body) if status == 200 else {}
        if outcome.get("reloaded") is True and not outcome.get("error"):
            route.latencies_ms.append((time.perf_counter() - began) * 1000)
        else:
            route.errors[0] += 1


async def drive(url: str, score: list[tuple[bytes, int]], histories: list[tuple[bytes, int]], routes: list[Route],
                versions: tuple[str, str], seconds: float, seen: Counter) -> float:
    """All clients and the reload loop over one connection pool for `seconds`; the wall time."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    score_route, history_route, reload_route = routes
    connector = aiohttp.TCPConnector(limit=score_route.clients + history_route.clients + 1)
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        began = time.perf_counter()
        until = began + seconds
        await asyncio.gather(
            *(client_loop(session, f"{url}/score", score, k * 97, until, score_route.latencies_ms,
                          score_route.errors, seen) for k in range(score_route.clients)),
            *(client_loop(session, f"{url}/score_history", histories, k * 13, until, history_route.latencies_ms,
                          history_route.errors, seen) for k in range(history_route.clients)),
            reload_loop(session, f"{url}/reload", versions, until, reload_route),
        )
        return time.perf_counter() - began


def report(routes: list[Route], seconds: float, seen: Counter, versions: tuple[str, str], snapshot: str,
           load: tuple[str, str]) -> None:
    print(f"\n{sum(r.clients for r in routes[:2])} clients and a back-to-back POST /reload for {seconds:.0f} s on "
          f"loopback, {snapshot}, {os.cpu_count()} cores; load average (1/5/15 min) {load[0]} at the start, "
          f"{load[1]} at the end\n")
    print("| route | clients | requests | failed | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in routes:
        worst = max(r.latencies_ms) if r.latencies_ms else float("nan")
        print(f"| {r.name} | {r.clients} | {r.requests:,} | {r.errors[0]} | {r.percentile(50):.1f} | "
              f"{r.percentile(99):.1f} | {worst:.1f} |")
    answered = ", ".join(f"v{v}: {seen[v]:,}" for v in versions)
    failed = sum(r.errors[0] for r in routes)
    print(f"\nanswers by {VERSION_OF} version: {answered}; failed requests: {failed} (target 0)")


def load_line() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def run(root: Path, seconds: float, clients: int, history_clients: int, seed: int) -> None:
    """Train (unless reused), register the twin version, serve, load with reloads, stop."""
    os.environ.update(workspace_env(root))
    build_workspace(root)
    rng = random.Random(seed)
    ids, as_of = snapshot_ids(root)
    score = [(json.dumps({"customer_ids": [rng.choice(ids)]}).encode(), 1) for _ in range(2000)]
    histories = history_bodies(root, as_of, 200, seed)
    with inside(root):
        versions = second_champion()
    routes = [Route("POST /score (1 id)", clients - history_clients),
              Route("POST /score_history (1 customer)", history_clients),
              Route("POST /reload (back to back)", 1)]
    seen: Counter = Counter()
    start = load_line()
    service = launch(free_port(), root / "service-reload.log", service_env(root), cwd=root)
    try:
        wait_ready(service)
        with inside(root):
            wall = asyncio.run(drive(service.url, score, histories, routes, versions, seconds, seen))
    finally:
        stop(service)
    report(routes, wall, seen, versions, f"snapshot of {as_of} ({len(ids):,} scored customers)", (start, load_line()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="Length of the load.")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients of /score and /score_history.")
    parser.add_argument("--history-clients", type=int, default=4, help="How many of them send /score_history.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="The trained workspace to reuse (as bench/serving.py --workdir; default: a temp dir).")
    args = parser.parse_args()
    if args.workdir is not None:
        run(args.workdir.resolve(), args.seconds, args.clients, args.history_clients, args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        run(Path(tmp), args.seconds, args.clients, args.history_clients, args.seed)


if __name__ == "__main__":
    main()
