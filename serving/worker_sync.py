"""Reloads that reach every worker of the service.

Each worker process holds its own serving set, so POST /reload, which one worker answers, must make
the others reload too before it replies. The workers share a small directory: a `generation` file
counts reload requests, and each worker writes `worker-<pid>` with the generation it has loaded.
The answering worker bumps the generation, reloads itself and waits until every other live worker
has caught up; the others notice the new generation from a watcher thread and reload while they
keep serving their current set. A failed load counts as caught up: that worker keeps its previous
set and reports the error, like the answering one.

The directory is the service's `run_dir` setting (`insight serve` passes a fresh one to its workers,
or INSIGHT_RUN_DIR); without it, a folder in the temp directory named after the parent process,
which BentoML's workers share.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from features.processes import process_alive

log = logging.getLogger(__name__)

POLL_S = 0.2
WAIT_FOR_WORKERS_S = 50.0
"""How long POST /reload waits for the other workers: inside the service's 60-second request timeout."""


def run_dir(configured: Path | None = None) -> Path:
    """The directory the workers of one running service share: `configured`, else one named after
    their parent process."""
    path = Path(configured or Path(tempfile.gettempdir()) / f"customer-insight-{os.getppid()}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, text: str) -> None:
    """Replace `path` in one step, so a reader never sees half a number."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text(encoding="utf-8").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


class WorkerSync:
    """One worker's side of the shared reload generation; `reload` is the worker's own reload."""

    def __init__(self, reload: Callable[[], bool], directory: Path | None = None, pid: int | None = None) -> None:
        self._reload = reload
        self.directory = directory or run_dir()
        self.pid = os.getpid() if pid is None else pid
        self._generation_file = self.directory / "generation"
        self._mine = self.directory / f"worker-{self.pid}"
        self._lock = threading.Lock()
        self.generation = 0
        self.loaded = False
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> bool:
        """Load at the current generation, say so, and start watching for reloads elsewhere."""
        with self._lock:
            self.generation = _read_int(self._generation_file)
            self.loaded = self._reload()
            _write(self._mine, str(self.generation))
        self._watcher = threading.Thread(target=self._watch, name="reload-watcher", daemon=True)
        self._watcher.start()
        return self.loaded

    def stop(self) -> None:
        self._stop.set()
        self._mine.unlink(missing_ok=True)

    def reload_everywhere(self, timeout_s: float = WAIT_FOR_WORKERS_S) -> tuple[bool, list[int]]:
        """Reload here and in every other worker; (this worker's outcome, pids that did not catch up
        within `timeout_s`)."""
        with self._exclusive():
            target = _read_int(self._generation_file) + 1
            _write(self._generation_file, str(target))
        loaded = self._catch_up(target)
        return loaded, self._wait_for_others(target, timeout_s)

    def _catch_up(self, target: int) -> bool:
        """Reload once to reach generation `target` unless already there; the outcome of the latest reload."""
        with self._lock:
            if self.generation < target:
                self.loaded = self._reload()
                self.generation = target
                _write(self._mine, str(target))
            return self.loaded

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            target = _read_int(self._generation_file)
            if target > self.generation:
                log.info("reload generation %d requested: reloading this worker", target)
                self._catch_up(target)

    def _others(self) -> Iterator[tuple[int, Path]]:
        for path in self.directory.glob("worker-*"):
            pid = int(path.name.removeprefix("worker-"))
            if pid != self.pid:
                yield pid, path

    def _wait_for_others(self, target: int, timeout_s: float) -> list[int]:
        deadline = time.monotonic() + timeout_s
        while True:
            behind = [pid for pid, path in self._others() if _read_int(path) < target and process_alive(pid)]
            if not behind or time.monotonic() > deadline:
                return behind
            time.sleep(POLL_S / 2)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with (self.directory / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
