"""The end of `insight demo`: the scoring service started in the background and called once,
so a new user sees a real answer and the curl command to ask again."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from serving.local_service import READY_TIMEOUT_S, ServiceNotReady, launch, port_in_use_message, port_taken, wait_ready
from serving.settings import ServingSettings


@dataclass(frozen=True)
class RunningService:
    pid: int
    url: str
    key: str
    log: Path


def start_service(port: int, log: Path, base: str | None = None) -> RunningService:
    """Start `insight serve` (for customer base `base`) detached from this process and wait until
    /readyz says ready."""
    if port_taken(port):
        raise RuntimeError(port_in_use_message(port))
    try:
        keys = ServingSettings.from_env().api_keys
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    key = keys[0] if keys else secrets.token_urlsafe(16)
    env = dict(os.environ) if keys else {**os.environ, "INSIGHT_API_KEYS": key}
    service = launch(port, log, env, args=("--base", base) if base else ())
    try:
        wait_ready(service, READY_TIMEOUT_S)
    except ServiceNotReady:
        service.process.terminate()
        raise
    return RunningService(service.pid, service.url, key, log)


def score_once(service: RunningService, customer_ids: list[str]) -> dict:
    response = httpx.post(f"{service.url}/score", json={"customer_ids": customer_ids},
                          headers={"Authorization": f"Bearer {service.key}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def curl_command(service: RunningService, customer_ids: list[str]) -> str:
    ids = ", ".join(f'"{c}"' for c in customer_ids)
    return (f"curl -s {service.url}/score -H 'Authorization: Bearer {service.key}' "
            f"-H 'Content-Type: application/json' -d '{{\"customer_ids\": [{ids}]}}'")
