"""Start the real scoring service (`insight serve`) as a subprocess and stop it again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from serving.local_service import ServiceNotReady, free_port, launch, stop, wait_ready
from workspace import Workspace

KEYS = ("test-key-one", "test-key-two")
LIMITS = {"INSIGHT_MAX_CUSTOMERS": "50", "INSIGHT_MAX_TRANSACTIONS": "200", "INSIGHT_MAX_BODY_BYTES": "200000"}
START_TIMEOUT_S = 240


@dataclass(frozen=True)
class Service:
    url: str
    log: Path

    def client(self, key: str | None = KEYS[0]) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def start_service(workspace: Workspace, name: str, extra_env: dict[str, str] | None = None,
                  args: tuple[str, ...] = ()) -> Iterator[Service]:
    """Run `insight serve` in its own process group until the caller is done; wait for /readyz."""
    env = {**os.environ, **workspace.env(), **LIMITS, "INSIGHT_API_KEYS": ",".join(KEYS), **(extra_env or {})}
    process = launch(free_port(), workspace.root / f"{name}.log", env, cwd=workspace.root, args=args)
    try:
        try:
            wait_ready(process, START_TIMEOUT_S)
        except ServiceNotReady as exc:
            pytest.fail(f"{exc}:\n{process.log.read_text()[-3000:]}")
        yield Service(process.url, process.log)
    finally:
        stop(process)
