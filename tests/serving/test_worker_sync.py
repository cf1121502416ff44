"""Reloads between worker processes, without a server: two WorkerSync sides sharing one directory."""

from __future__ import annotations

import os
import time
from pathlib import Path

from serving.worker_sync import WorkerSync


class Loads:
    """A reload function that counts its calls and answers `ok`."""

    def __init__(self, ok: bool = True) -> None:
        self.calls, self.ok = 0, ok

    def __call__(self) -> bool:
        self.calls += 1
        return self.ok


def test_a_reload_reaches_the_other_worker_before_it_answers(tmp_path: Path) -> None:
    here, there = Loads(), Loads()
    answering = WorkerSync(here, tmp_path, pid=os.getpid())
    other = WorkerSync(there, tmp_path, pid=os.getppid())
    assert answering.start() and other.start()
    try:
        assert answering.reload_everywhere(timeout_s=10) == (True, [])
        assert (here.calls, there.calls) == (2, 2)
        assert answering.generation == other.generation == 1
        assert answering.reload_everywhere(timeout_s=10) == (True, [])
        assert there.calls == 3 and other.generation == 2
    finally:
        answering.stop()
        other.stop()


def test_a_failed_load_elsewhere_still_counts_as_caught_up(tmp_path: Path) -> None:
    failing = Loads(ok=False)
    answering = WorkerSync(Loads(), tmp_path, pid=os.getpid())
    other = WorkerSync(failing, tmp_path, pid=os.getppid())
    answering.start()
    other.start()
    try:
        assert answering.reload_everywhere(timeout_s=10) == (True, [])
        assert failing.calls == 2 and other.loaded is False
    finally:
        answering.stop()
        other.stop()


def test_a_worker_that_does_not_catch_up_is_named(tmp_path: Path) -> None:
    (tmp_path / f"worker-{os.getppid()}").write_text("0")
    (tmp_path / "worker-999999999").write_text("0")
    answering = WorkerSync(Loads(), tmp_path, pid=os.getpid())
    answering.start()
    try:
        began = time.monotonic()
        assert answering.reload_everywhere(timeout_s=0.5) == (True, [os.getppid()])
        assert time.monotonic() - began < 5
    finally:
        answering.stop()
