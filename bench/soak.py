"""Soak: kill -9 at random moments across ingest -> train -> score -> reload, with the service under load.

    nice -n 10 .venv/bin/python bench/soak.py                      # 20 rounds, seed 1
    nice -n 10 .venv/bin/python bench/soak.py --rounds 4 --seed 7  # smoke run

A small workspace is built through the real CLI (`insight synth` with a fixed seed, `insight ingest`,
`insight train` with one cutoff, `insight score`), and `insight serve` is started once over it and
kept under load for the whole soak by closed-loop clients of POST /score and POST /score_history
(bench/load_clients.py). Round n runs the step n of ingest, train, score, reload (in that order, over
and over) as a subprocess and sends SIGKILL to its process group after a random delay drawn from
the seeded RNG (up to 1.2 times the step's duration at set-up, so some steps finish first). The
reload step is a client process of POST /reload, since reloading is the service's own work. Then the
step is run again to completion and the round checks:

- champions: the set the loader reads names every task with versions from one training run
  (`training.champions.training_runs`), after the kill and after the re-run;
- orphan runs: no MLflow run is left RUNNING after the re-run (the next start);
- previous output intact: right after the kill, the step's output is the one from before, or a whole
  new one (a published ingest, a score file passing the row check, a consistent set, a service
  answering /models with the old or the new set);
- rows == customers: the scored file has one row per customer known at the cutoff (as
  `build_features` finds them in the current transactions) and only that cutoff;
- failed requests: answers of the load clients during the round that were not a correct 200 (any
  other status, a connection error or a timeout), plus leftovers (temporary siblings, locks, staging
  folders, training temp folders of dead processes) after the re-run.

Prints a table per round and a total line; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import pandas as pd
import pyarrow.parquet as pq
from load_clients import client_loop
from reload_load import history_bodies, snapshot_ids

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from mlflow import MlflowClient  # noqa: E402

from features.pipeline import build_features, load_snapshot  # noqa: E402
from features.schema import TRANSACTIONS_FILE  # noqa: E402
from serving.local_service import free_port, launch, stop, wait_ready  # noqa: E402
from serving_workspace import API_KEY, service_env, workspace_env  # noqa: E402
from training.bases import Base  # noqa: E402
from training.champions import current_set, training_runs  # noqa: E402
from training.config import tracking_uri  # noqa: E402
from training.tasks import MODEL_NAMES  # noqa: E402

STEPS = ("ingest", "train", "score", "reload")
TRAIN_AS_OF, SCORE_AS_OF, HORIZON_DAYS = "2023-09-30", dt.date(2023, 12, 31), 90
CHUNK_CUSTOMERS = 250
STEP_TIMEOUT_S = 900
RELOAD_CLIENT = (
    "import sys, httpx\n"
    "answer = httpx.post(sys.argv[1] + '/reload', content=b'{}', timeout=300,\n"
    "                    headers={'Authorization': 'Bearer ' + sys.argv[2], 'Content-Type': 'application/json'})\n"
    "print(answer.status_code, answer.text)\n"
    "sys.exit(0 if answer.status_code == 200 and answer.json().get('reloaded') is True else 1)\n"
)


@dataclass(frozen=True)
class Workspace:
    """The soak's folder: simulated log, ingested transactions, MLflow store, snapshots, scores."""

    root: Path
    url: str = ""

    @property
    def raw(self) -> Path:
        return self.root / "raw" / TRANSACTIONS_FILE

    @property
    def transactions(self) -> Path:
        return self.root / "transactions"

    @property
    def scores(self) -> Path:
        return self.root / "scores.parquet"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def env(self) -> dict[str, str]:
        """The steps' environment: the workspace's stores, the default base, a temp folder of their own."""
        return {**os.environ, **workspace_env(self.root), "INSIGHT_BASE": "default", "TMPDIR": str(self.tmp)}

    def command(self, step: str, seed: int) -> list[str]:
        insight = [sys.executable, "-m", "serving"]
        if step == "ingest":
            return [*insight, "ingest", str(self.raw), "--out", str(self.transactions)]
        if step == "train":
            return [*insight, "train", "--transactions", str(self.transactions), "--as-of", TRAIN_AS_OF,
                    "--horizon-days", str(HORIZON_DAYS), "--n-cutoffs", "1", "--seasonal-years", "0",
                    "--seed", str(seed)]
        if step == "score":
            return [*insight, "score", "--transactions", str(self.transactions), "--as-of", SCORE_AS_OF.isoformat(),
                    "--out", str(self.scores), "--chunk-customers", str(CHUNK_CUSTOMERS)]
        return [sys.executable, "-c", RELOAD_CLIENT, self.url, API_KEY]


def start(ws: Workspace, step: str, seed: int) -> subprocess.Popen:
    with (ws.root / "logs" / f"{step}.log").open("ab") as log:
        return subprocess.Popen(ws.command(step, seed), cwd=ws.root, env=ws.env(), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def run_to_end(ws: Workspace, step: str, seed: int) -> tuple[int, float]:
    """Run `step` until it exits; (exit code, seconds)."""
    began = time.perf_counter()
    process = start(ws, step, seed)
    code = process.wait(timeout=STEP_TIMEOUT_S)
    return code, time.perf_counter() - began


def kill_after(process: subprocess.Popen, delay: float) -> tuple[str, int | None]:
    """SIGKILL the step's process group after `delay` seconds unless it exits first: ("killed", None)
    or ("finished", its exit code)."""
    try:
        return "finished", process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return "killed", None


class Load:
    """Closed-loop clients of /score and /score_history on a thread of their own for the whole soak."""

    def __init__(self, url: str, score: list[tuple[bytes, int]], histories: list[tuple[bytes, int]],
                 clients: int, history_clients: int) -> None:
        self.url, self.score, self.histories = url, score, histories
        self.clients, self.history_clients = clients, history_clients
        self.latencies: list[float] = []
        self.errors = [0]
        self.reasons: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._drive()), name="load", daemon=True)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors[0]

    @property
    def failed(self) -> int:
        return self.errors[0]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    async def _drive(self) -> None:
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.clients), headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=60)) as session:
            loops = [client_loop(session, f"{self.url}/score_history", self.histories, k * 13, math.inf,
                                 self.latencies, self.errors, reasons=self.reasons)
                     for k in range(self.history_clients)]
            loops += [client_loop(session, f"{self.url}/score", self.score, k * 97, math.inf, self.latencies,
                                  self.errors, reasons=self.reasons)
                      for k in range(self.clients - self.history_clients)]
            tasks = [asyncio.create_task(loop) for loop in loops]
            await asyncio.to_thread(self._stop.wait)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


# The checks: each returns the problems it found (empty: passed).

def champion_problems(client: MlflowClient) -> list[str]:
    """The set the loader reads is complete and comes from one training run."""
    champion_set = current_set(client, Base())
    if champion_set is None:
        return ["no champion set"]
    runs = training_runs(client, Base(), champion_set)
    problems = []
    if sorted(runs) != sorted(MODEL_NAMES):
        problems.append(f"champion set v{champion_set.version} names {sorted(runs)}")
    if len(set(runs.values())) != 1:
        problems.append(f"champion set v{champion_set.version} mixes runs {runs}")
    return problems


def orphan_runs(client: MlflowClient) -> list[str]:
    """Runs left RUNNING in any experiment (nothing of the soak's runs at this point)."""
    ids = [e.experiment_id for e in client.search_experiments()]
    return [r.info.run_id for r in client.search_runs(ids, "attributes.status = 'RUNNING'", max_results=1000)]


def score_problems(ws: Workspace) -> list[str]:
    """One row per customer known at the cutoff in the current transactions, and that cutoff only."""
    try:
        scores = pd.read_parquet(ws.scores, columns=["customer_id", "as_of"])
    except (OSError, ValueError) as exc:
        return [f"{ws.scores.name} unreadable: {exc}"]
    known = set(build_features(ws.transactions / TRANSACTIONS_FILE, SCORE_AS_OF)["customer_id"].astype(str))
    ids = scores["customer_id"].astype(str)
    problems = []
    cutoffs = set(pd.to_datetime(scores["as_of"]).dt.date)
    if cutoffs != {SCORE_AS_OF}:
        problems.append(f"cutoffs {sorted(map(str, cutoffs))}")
    if not ids.is_unique:
        problems.append(f"{int(ids.duplicated().sum())} duplicate rows")
    if set(ids) != known:
        problems.append(f"{len(known - set(ids))} customers missing, {len(set(ids) - known)} unknown")
    return problems


def leftovers(ws: Workspace) -> list[str]:
    """Temporary siblings, locks and staging folders of outputs, and training temp folders, left
    after every step has ended."""
    found = [p for p in ws.root.rglob(".*") if p.relative_to(ws.root).parts[0] not in ("bentoml", "mlruns")
             and any(mark in p.name for mark in (".tmp-", ".old-", ".parts", ".lock"))]
    found += list(ws.tmp.glob("customer-insight-train-*"))
    return [str(p.relative_to(ws.root)) for p in found]


def served_versions(ws: Workspace) -> dict[str, str]:
    answer = httpx.get(f"{ws.url}/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)
    answer.raise_for_status()
    return answer.json()["model_versions"]


def registry_versions(client: MlflowClient) -> dict[str, str]:
    champion_set = current_set(client, Base())
    return {Base().model_name(task): v for task, v in champion_set.versions.items()} if champion_set else {}


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@dataclass
class Before:
    """What a step's output was before the kill."""

    digest: str | None = None
    versions: dict[str, str] = field(default_factory=dict)


def observe(ws: Workspace, step: str, client: MlflowClient) -> Before:
    if step == "ingest":
        return Before(digest(ws.transactions / TRANSACTIONS_FILE))
    if step == "score":
        return Before(digest(ws.scores))
    if step == "train":
        return Before(versions=registry_versions(client))
    return Before(versions=served_versions(ws))


def intact_problems(ws: Workspace, step: str, before: Before, client: MlflowClient, rows: int) -> list[str]:
    """Right after the kill: the step's output is the previous one or a whole new one."""
    if step == "ingest":
        path = ws.transactions / TRANSACTIONS_FILE
        if digest(path) == before.digest:
            return []
        try:
            found = pq.read_metadata(path).num_rows
        except (OSError, ValueError) as exc:
            return [f"transactions unreadable: {exc}"]
        return [] if found == rows else [f"transactions hold {found:,} rows, not {rows:,}"]
    if step == "score":
        problems = [] if digest(ws.scores) == before.digest else score_problems(ws)
        try:
            load_snapshot(Path(os.environ["INSIGHT_SNAPSHOTS"]), SCORE_AS_OF)
        except (OSError, ValueError) as exc:
            problems.append(f"snapshot unreadable: {exc}")
        return problems
    if step == "train":
        return champion_problems(client)
    try:
        served = served_versions(ws)
    except httpx.HTTPError as exc:
        return [f"GET /models failed: {exc}"]
    return [] if served in (before.versions, registry_versions(client)) else [f"serving {served}"]


@dataclass
class Round:
    number: int
    step: str
    delay: float
    outcome: str = ""
    recovery_s: float = float("nan")
    champions_ok: bool = False
    orphans: int = 0
    intact: bool = False
    rows_ok: bool = False
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and self.failed == 0

    def row(self) -> str:
        yes = {True: "yes", False: "**no**"}
        return (f"| {self.number} | {self.step} | {self.delay:.1f} | {self.outcome} | {self.recovery_s:.1f} | "
                f"{yes[self.champions_ok]} | {self.orphans} | {yes[self.intact]} | {yes[self.rows_ok]} | "
                f"{self.failed} | {'; '.join(self.problems) or ''} |")


HEADER = ("| round | step | kill after s | killed/finished | recovery s | champions consistent | orphan RUNNING runs "
          "| previous output intact | rows == customers | failed requests | problems |\n"
          "|---:|---|---:|---|---:|---|---:|---|---|---:|---|")


def play(ws: Workspace, number: int, step: str, delay: float, load: Load, client: MlflowClient,
         rows: int) -> Round:
    """One round: start the step, kill it after `delay`, check what it left, run it again, check."""
    result = Round(number, step, delay)
    failed_before = load.failed
    before = observe(ws, step, client)
    result.outcome, code = kill_after(start(ws, step, number), delay)
    if code not in (None, 0):
        result.problems.append(f"the unkilled {step} exited {code}")
    intact = intact_problems(ws, step, before, client, rows)
    result.intact = not intact
    result.problems += [f"after the kill: {p}" for p in intact]
    code, result.recovery_s = run_to_end(ws, step, number)
    if code != 0:
        result.problems.append(f"the re-run exited {code} (see {ws.root / 'logs' / step}.log)")
    champions = champion_problems(client)
    if step == "reload" and not champions:
        served, registered = served_versions(ws), registry_versions(client)
        if served != registered:
            champions.append(f"serving {served}, the registry's set is {registered}")
    result.champions_ok = not champions
    result.problems += champions
    orphans = orphan_runs(client)
    result.orphans = len(orphans)
    result.problems += [f"RUNNING: {', '.join(orphans)}"] if orphans else []
    rows_problems = score_problems(ws)
    result.rows_ok = not rows_problems
    result.problems += rows_problems
    left = leftovers(ws)
    result.problems += [f"left behind: {', '.join(left)}"] if left else []
    result.failed = load.failed - failed_before
    return result


def build(ws: Workspace, customers: int, seed: int) -> dict[str, float]:
    """Simulate, ingest, train and score through the CLI; the seconds each step took."""
    (ws.root / "logs").mkdir(parents=True, exist_ok=True)
    ws.tmp.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "serving", "synth", "--out", str(ws.raw.parent), "--customers",
                    str(customers), "--start", "2022-01-01", "--end", SCORE_AS_OF.isoformat(), "--seed", str(seed)],
                   cwd=ws.root, env=ws.env(), check=True, capture_output=True)
    seconds = {}
    for step in STEPS[:3]:
        code, seconds[step] = run_to_end(ws, step, 0)
        if code != 0:
            raise SystemExit(f"set-up: {step} exited {code}; see {ws.root / 'logs' / step}.log")
    return seconds


def load_line() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def soak(root: Path, rounds: int, seed: int, customers: int, clients: int, history_clients: int) -> int:
    ws = Workspace(root)
    os.environ.update(workspace_env(root), INSIGHT_BASE="default")
    began_load = load_line()
    print(f"soak: seed {seed}, {rounds} rounds, {customers:,} simulated customers, {clients} clients "
          f"({history_clients} on /score_history), workspace {root}", flush=True)
    seconds = build(ws, customers, seed)
    client = MlflowClient(tracking_uri())
    rows = pq.read_metadata(ws.transactions / TRANSACTIONS_FILE).num_rows
    service = launch(free_port(), root / "logs" / "service.log", {**service_env(root), "INSIGHT_BASE": "default"},
                     cwd=root)
    rng = random.Random(seed)
    results: list[Round] = []
    load = None
    try:
        wait_ready(service)
        ws = Workspace(root, service.url)
        code, seconds["reload"] = run_to_end(ws, "reload", 0)
        if code != 0:
            raise SystemExit(f"set-up: the first reload failed; see {root / 'logs' / 'reload.log'}")
        ids, as_of = snapshot_ids(root)
        score = [(json.dumps({"customer_ids": [rng.choice(ids)]}).encode(), 1) for _ in range(2000)]
        load = Load(service.url, score, history_bodies(root, as_of, 200, seed), clients, history_clients)
        print("set-up seconds: " + ", ".join(f"{s} {t:.1f}" for s, t in seconds.items()), flush=True)
        load.start()
        print(f"\n{HEADER}", flush=True)
        for number in range(1, rounds + 1):
            step = STEPS[(number - 1) % len(STEPS)]
            result = play(ws, number, step, rng.uniform(0.0, 1.2 * seconds[step]), load, client, rows)
            results.append(result)
            print(result.row(), flush=True)
    finally:
        if load is not None:
            load.stop()
        stop(service)
    killed = sum(r.outcome == "killed" for r in results)
    bad = [r.number for r in results if not r.passed]
    print(f"\ntotal: {len(results)} rounds, {killed} killed, {len(results) - killed} finished before the kill; "
          f"{load.requests:,} requests, {load.failed} failed; rounds with a failed check: "
          f"{', '.join(map(str, bad)) or 'none'}; seed {seed}; load average (1/5/15 min) {began_load} at the start, "
          f"{load_line()} at the end, {os.cpu_count()} cores")
    if load.reasons:
        print("failed requests by reason: " + "; ".join(f"{n} x {r}" for r, n in load.reasons.most_common()))
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1, help="Seeds the simulated base and the kill moments.")
    parser.add_argument("--customers", type=int, default=3000, help="Simulated customers.")
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients of /score and /score_history.")
    parser.add_argument("--history-clients", type=int, default=2, help="How many of them send /score_history.")
    parser.add_argument("--workdir", type=Path, default=None, help="A new folder for the workspace (default: a temp dir).")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        sys.exit(soak(args.workdir.resolve(), args.rounds, args.seed, args.customers, args.clients,
                      args.history_clients))
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        sys.exit(soak(Path(tmp), args.rounds, args.seed, args.customers, args.clients, args.history_clients))


if __name__ == "__main__":
    main()
