"""One writer per output: an exclusive lock on an output path, named in the refusal of a second run.

The lock is the sibling file `.<name>.lock`, held with `flock` and holding the owner's pid, host
and start time. The kernel drops a `flock` when its holder dies, so a lock file left by a killed
run is stale by definition: the next run takes it over (and says whose it was). Holding the lock,
a run also removes the temporary siblings (`.<name>.tmp-<pid>-*`, `.<name>.old-<pid>-*`) that
killed writers of the same output left behind.

Locks are re-entrant within a thread, so a job that locks its output for its whole run can still
publish through `features.atomic`, which locks every target it writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from features.processes import process_alive

log = logging.getLogger(__name__)

Kind = Literal["file", "directory"]
_POLL_SECONDS = 0.1


class OutputError(ValueError):
    """An output that cannot be written where it was asked for (wrong kind, unwritable folder)."""


class OutputLocked(OutputError):
    """Another live run holds the output."""


@dataclass
class _Held:
    thread: int
    fd: int
    depth: int = 1


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of `target`: a hidden sibling, so replacing `target` never touches it."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def scratch_name(target: Path, role: str) -> Path:
    """A temporary sibling of `target` that names the writing process, e.g. `.x.tmp-4242-1a2b3c4d`."""
    return target.parent / f".{target.name}.{role}-{os.getpid()}-{os.urandom(4).hex()}"


@contextlib.contextmanager
def output_lock(target: str | os.PathLike[str], *, kind: Kind | None = None,
                wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold `target` exclusively for the block; yield the lock file's path.

    `kind` refuses a target that exists as the other kind (a folder where a file is written, or
    the reverse). Another live holder makes this raise OutputLocked at once, or after
    `wait_seconds` when given (for short writes such as snapshots, where waiting is harmless).
    """
    target = Path(target).absolute()
    _prepare_parent(target)
    key = lock_path(target)
    with _guard:
        held = _held.get(key)
        if held is not None and held.thread == threading.get_ident():
            held.depth += 1
            reentered = True
        elif held is not None:
            raise OutputLocked(f"{target} is being written by another thread of this process (pid {os.getpid()})")
        else:
            reentered = False
    if reentered:
        try:
            _check_kind(target, kind)
            yield key
        finally:
            with _guard:
                _held[key].depth -= 1
        return
    fd = _acquire(target, key, wait_seconds)
    with _guard:
        _held[key] = _Held(threading.get_ident(), fd)
    try:
        _check_kind(target, kind)
        remove_leftovers(target)
        yield key
    finally:
        with _guard:
            del _held[key]
        with contextlib.suppress(FileNotFoundError):
            key.unlink()
        os.close(fd)


def _acquire(target: Path, key: Path, wait_seconds: float) -> int:
    """Open, flock and stamp the lock file; retry while it is held, up to `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _unwritable(target, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise OutputLocked(f"{target} is being written by {_describe(holder)} (lock {key}); "
                                   "wait for it to finish or stop it, then run again") from None
            time.sleep(_POLL_SECONDS)
            continue
        if not _same_file(fd, key):
            os.close(fd)
            continue
        previous = _read_holder(fd)
        if previous:
            log.warning("%s: taking over the lock left by %s, which is no longer running", target,
                        _describe(previous))
        _stamp(fd)
        return fd


def _same_file(fd: int, key: Path) -> bool:
    """Whether the locked file is still the one at `key` (a releasing holder may have unlinked it)."""
    try:
        return os.stat(key).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _stamp(fd: int) -> None:
    record = {"pid": os.getpid(), "host": socket.gethostname(),
              "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)


def _read_holder(fd: int) -> dict:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        record = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another process"
    since = f", since {holder['since']}" if holder.get("since") else ""
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}{since}"


def _prepare_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(target, exc) from None


def _unwritable(target: Path, exc: OSError) -> OutputError:
    parent = target.parent
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), parent)
        return OutputError(f"{target}: cannot write here, {blocker} is a file, not a folder")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"{target}: cannot write here, the folder {parent} is not writable "
                           f"({exc.strerror.lower()}); choose another output path")
    return OutputError(f"{target}: cannot write here ({exc.strerror or exc})")


def _check_kind(target: Path, kind: Kind | None) -> None:
    if kind == "file" and target.is_dir():
        raise OutputError(f"{target} is a folder; this writes a file there, so give a file path "
                          "(an existing folder is never replaced by a file)")
    if kind == "directory" and target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file; this writes a folder there, so give a folder path "
                          "(an existing file is never replaced by a folder)")


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the temporary siblings of `target` whose writing process is not running; return them.

    Called with the lock held: no live writer of `target` can own them, the pid check only spares
    a writer that does not lock (such as an older version of this tool).
    """
    removed = []
    prefix = f".{target.name}."
    for entry in target.parent.iterdir():
        role, _, rest = entry.name.removeprefix(prefix).partition("-")
        if not entry.name.startswith(prefix) or role not in ("tmp", "old"):
            continue
        pid = rest.split("-", 1)[0]
        if pid.isdigit() and len(rest.split("-")) == 2 and process_alive(int(pid)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
        removed.append(entry)
    if removed:
        log.info("%s: removed %d leftover(s) of killed runs: %s", target, len(removed),
                 ", ".join(p.name for p in removed))
    return removed


