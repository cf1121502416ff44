"""Start the real scoring service (`insight serve`) as a subprocess and stop it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from workspace import Workspace

KEYS = ("test-key-one", "test-key-two")
LIMITS = {"INSIGHT_MAX_CUSTOMERS": "50", "INSIGHT_MAX_TRANSACTIONS": "200", "INSIGHT_MAX_BODY_BYTES": "200000"}
START_TIMEOUT_S = 240
INSIGHT = Path(sys.executable).with_name("insight")


@dataclass(frozen=True)
class Service:
    url: str
    log: Path

    def client(self, key: str | None = KEYS[0]) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(workspace: Workspace, name: str, extra_env: dict[str, str] | None = None,
                  args: tuple[str, ...] = ()) -> Iterator[Service]:
    """Run `insight serve` in its own process group until the caller is done; wait for /readyz."""
    port = free_port()
    log = workspace.root / f"{name}.log"
    env = {**os.environ, **workspace.env(), **LIMITS, "INSIGHT_API_KEYS": ",".join(KEYS), **(extra_env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen([str(INSIGHT), "serve", "--port", str(port), *args], cwd=workspace.root,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    service = Service(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"the service exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the service was not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield service
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
