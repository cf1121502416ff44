"""The end of `insight demo`: the scoring service started in the background and called once,
so a new user sees a real answer and the curl command to ask again."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_S = 300


@dataclass(frozen=True)
class RunningService:
    pid: int
    url: str
    key: str
    log: Path


def start_service(port: int, log: Path) -> RunningService:
    """Start `insight serve` detached from this process and wait until /readyz says ready."""
    if _port_taken(port):
        raise RuntimeError(f"port {port} is in use; stop what runs there or start `insight serve --port N` yourself")
    key = (os.environ.get("INSIGHT_API_KEYS") or "").split(",")[0].strip() or secrets.token_urlsafe(16)
    env = {**os.environ, "INSIGHT_API_KEYS": os.environ.get("INSIGHT_API_KEYS") or key}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "serving", "serve", "--port", str(port)], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service stopped during start-up (exit {process.returncode}); see {log}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return RunningService(process.pid, url, key, log)
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.terminate()
    raise RuntimeError(f"the service was not ready after {READY_TIMEOUT_S} s; see {log}")


def score_once(service: RunningService, customer_ids: list[str]) -> dict:
    response = httpx.post(f"{service.url}/score", json={"customer_ids": customer_ids},
                          headers={"Authorization": f"Bearer {service.key}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def curl_command(service: RunningService, customer_ids: list[str]) -> str:
    ids = ", ".join(f'"{c}"' for c in customer_ids)
    return (f"curl -s {service.url}/score -H 'Authorization: Bearer {service.key}' "
            f"-H 'Content-Type: application/json' -d '{{\"customer_ids\": [{ids}]}}'")


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
