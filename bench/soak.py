"""Soak: kill -9 at random moments across ingest -> train -> score -> reload, the service under load.

    nice -n 10 .venv/bin/python bench/soak.py --rounds 20
    nice -n 10 .venv/bin/python bench/soak.py --rounds 2 --customers 600     # smoke run

A throw-away workspace: a simulated base exported to CSV, ingested, trained and scored once (the
clean round, which also measures each stage's duration), then `insight serve` with closed-loop
clients calling POST /score for random known customers the whole time. Each round picks a stage
(ingest, train or score), starts it as a user would, sends SIGKILL after a random share of that
stage's clean duration, then runs the pipeline again from that stage to the end and POSTs /reload.
A round passes when the champion set loads (`load_champions`: every alias resolves, horizons and
schemas agree) and is what the service reports after the reload, the scores hold exactly one row
per customer with a line on or before the cutoff, no lock or temporary sibling is left beside any
output, and not one API request failed during the round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.synth import SimulationConfig, simulate  # noqa: E402
from serving.local_service import free_port, launch, stop, wait_ready  # noqa: E402

API_KEY = "bench-soak-key"
TRAIN_AS_OF, SCORED_AT = "2023-09-30", "2023-12-31"
STAGES = ("ingest", "train", "score")


@dataclass
class Workspace:
    root: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{self.root / 'mlflow.db'}",
                "INSIGHT_SNAPSHOTS": str(self.root / "snapshots"), "INSIGHT_API_KEYS": API_KEY,
                "BENTOML_HOME": str(self.root / "bentoml"), "INSIGHT_WORKERS": "1"}

    def command(self, stage: str) -> list[str]:
        data = self.root / "data"
        args = {
            "ingest": ["ingest", str(self.root / "sales.csv"), "--out", str(data)],
            "train": ["train", "--transactions", str(data), "--as-of", TRAIN_AS_OF, "--horizon-days", "90",
                      "--n-cutoffs", "2", "--step-days", "45"],
            "score": ["score", "--transactions", str(data), "--as-of", SCORED_AT,
                      "--out", str(self.root / "scores.parquet"), "--chunk-customers", "200"],
        }[stage]
        return [sys.executable, "-m", "serving", *args]

    def run(self, stage: str) -> float:
        began = time.monotonic()
        done = subprocess.run(self.command(stage), cwd=self.root, env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{stage} failed after a kill: {done.stderr.strip()[-500:]}")
        return time.monotonic() - began

    def kill_during(self, stage: str, after_s: float) -> bool:
        """Start `stage` and SIGKILL it after `after_s`; whether it was still running then."""
        process = subprocess.Popen(self.command(stage), cwd=self.root, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=after_s)
            return False
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True


@dataclass
class Load:
    """Closed-loop clients calling POST /score; every answer that is not a full 200 is a failure."""

    url: str
    ids: list[str]
    clients: int = 4
    ok: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._client, args=(seed,), daemon=True)
                         for seed in range(self.clients)]
        for thread in self._threads:
            thread.start()

    def _client(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as client:
            while not self._stop.is_set():
                ids = rng.sample(self.ids, 5)
                try:
                    response = client.post(f"{self.url}/score", json={"customer_ids": ids})
                    good = response.status_code == 200 and len(response.json()["customers"]) == len(ids)
                    detail = f"HTTP {response.status_code}"
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    good, detail = False, type(exc).__name__
                if good:
                    self.ok += 1
                else:
                    self.failed += 1
                    self.failures.append(detail)

    def counts(self) -> tuple[int, int]:
        return self.ok, self.failed

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def known_customers(data: Path) -> set[str]:
    frame = pd.read_parquet(data / "transactions.parquet", columns=["customer_id", "timestamp"])
    cutoff = pd.Timestamp(SCORED_AT, tz="UTC") + pd.Timedelta(days=1)
    return set(frame.loc[frame["timestamp"] < cutoff, "customer_id"].astype(str))


def leftovers(root: Path) -> list[str]:
    names = (p.name for folder in (root, root / "snapshots" / "schema_v1") if folder.is_dir() for p in folder.iterdir())
    return sorted(n for n in names if n.startswith(".") and (".tmp-" in n or ".old-" in n or n.endswith(".lock")
                                                            or n.endswith(".parts")))


def champion_versions(ws: Workspace) -> dict[str, str]:
    code = ("import json; from training.champions import load_champions; "
            "print(json.dumps(load_champions().versions_by_name))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ws.root, env=ws.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"champions do not load: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout)


def served_versions(url: str) -> dict[str, str]:
    response = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    response.raise_for_status()
    return {str(k): str(v) for k, v in response.json()["model_versions"].items()}


def reload(url: str) -> None:
    response = httpx.post(f"{url}/reload", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=600)
    response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    ws = Workspace(options.workdir or Path(tempfile.mkdtemp(prefix="insight-soak-")))
    ws.root.mkdir(parents=True, exist_ok=True)
    base = simulate(SimulationConfig(n_customers=options.customers, start="2022-01-01", end="2023-12-31",
                                     seed=options.seed)).transactions
    base[["customer_id", "order_id", "timestamp", "amount"]].to_csv(ws.root / "sales.csv", index=False)
    durations = {stage: ws.run(stage) for stage in STAGES}
    print("clean round: " + ", ".join(f"{s} {d:.1f} s" for s, d in durations.items()), flush=True)

    port = free_port()
    service = launch(port, ws.root / "service.log", ws.env, cwd=ws.root)
    rows = []
    try:
        wait_ready(service)
        load = Load(service.url, sorted(known_customers(ws.root / "data")))
        load.start()
        for number in range(1, options.rounds + 1):
            stage = rng.choice(STAGES)
            after = rng.uniform(0.05, 0.95) * durations[stage]
            ok_before, failed_before = load.counts()
            began = time.monotonic()
            killed = ws.kill_during(stage, after)
            problems = []
            try:
                for later in STAGES[STAGES.index(stage):]:
                    ws.run(later)
                reload(service.url)
                versions = champion_versions(ws)
                if served_versions(service.url) != versions:
                    problems.append("service serves other versions than the registry's champions")
            except (RuntimeError, httpx.HTTPError) as exc:
                problems.append(str(exc))
            scores = pd.read_parquet(ws.root / "scores.parquet", columns=["customer_id", "as_of"])
            one_row_each = (scores["customer_id"].is_unique
                            and set(scores["customer_id"].astype(str)) == known_customers(ws.root / "data"))
            left = leftovers(ws.root)
            ok_after, failed_after = load.counts()
            row = {"round": number, "killed": stage, "after_s": round(after, 1), "was_running": killed,
                   "champions_ok": not problems, "one_row_per_customer": one_row_each,
                   "leftovers": len(left), "requests": ok_after - ok_before, "failed": failed_after - failed_before,
                   "seconds": round(time.monotonic() - began, 1)}
            rows.append(row)
            print(json.dumps(row) + ("" if not problems else f"  problems: {problems}") +
                  ("" if not left else f"  leftovers: {left}"), flush=True)
        load.stop()
    finally:
        stop(service)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False))
    passed = int((table["champions_ok"] & table["one_row_per_customer"] & table["leftovers"].eq(0)
                  & table["failed"].eq(0)).sum())
    print(f"\n{passed} of {len(table)} rounds consistent; {int(table['failed'].sum())} failed of "
          f"{int(table['requests'].sum())} API requests; workspace {ws.root}")


if __name__ == "__main__":
    main()
