"""`insight serve` as a child process on this machine: start it, wait until /readyz says ready, stop it.

Shared by `insight demo` (which leaves the service running), the serving tests and the serving
benchmark, so all of them start the service the way an operator does and wait on the same probe.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30


class ServiceNotReady(RuntimeError):
    """The service exited during start-up or did not become ready in time."""


@dataclass(frozen=True)
class LocalService:
    process: subprocess.Popen
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `host`:`port` cannot be listened on (something else holds it), tried as the server
    would bind it (SO_REUSEADDR, so a socket in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_in_use_message(port: int) -> str:
    """The one line `insight serve` and `insight demo` give when the port is held."""
    return f"port {port} is in use; stop what runs there or choose another with --port N"


def launch(port: int, log: Path, env: Mapping[str, str], cwd: Path | None = None,
           args: tuple[str, ...] = ()) -> LocalService:
    """Start `insight serve --port port` in its own session (so stopping it stops its workers too),
    with stdout and stderr in `log`; returns at once, see `wait_ready`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "serving", "serve", "--port", str(port), *args],
                                   cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return LocalService(process, f"http://127.0.0.1:{port}", log)


def wait_ready(service: LocalService, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll /readyz once a second until it answers 200; ServiceNotReady if the process exits first
    or `timeout_s` passes (the service keeps running then: the caller decides whether to stop it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = service.process.poll()
        if code is not None:
            raise ServiceNotReady(f"the service stopped during start-up (exit {code}); see {service.log}")
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServiceNotReady(f"the service was not ready after {timeout_s:.0f} s; see {service.log}")
        time.sleep(1)


def stop(service: LocalService, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the service's process group, SIGKILL if it has not exited after `timeout_s`."""
    try:
        os.killpg(service.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        service.process.wait()
        return
    try:
        service.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait()
