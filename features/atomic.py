"""Atomic publication of output directories and files: a failed job leaves nothing half-written.

Every target is held with `features.output_lock` while it is written, so two runs never publish
into one output, and the temporary siblings a killed writer left are removed by the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from features.output_lock import output_lock, scratch_name


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str], *, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `target` in one rename.

    On any exception the temporary directory is removed and `target` is left as it was. An
    existing file at `target` is refused (OutputError) rather than replaced.
    """
    target = Path(target)
    with output_lock(target, kind="directory", wait_seconds=wait_seconds):
        tmp = scratch_name(target, "tmp")
        tmp.mkdir()
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _replace(tmp, target)


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str], *, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Yield a temporary sibling path to write; on success it is renamed onto `target`.

    An existing folder at `target` is refused (OutputError) rather than replaced by the file.
    """
    target = Path(target)
    with output_lock(target, kind="file", wait_seconds=wait_seconds):
        tmp = scratch_name(target, "tmp")
        try:
            yield tmp
        except BaseException:
            _remove(tmp)
            raise
        os.replace(tmp, target)


def _replace(new: Path, target: Path) -> None:
    """Swap `new` into `target`; an existing directory is moved aside first, then deleted."""
    if target.is_dir():
        old = scratch_name(target, "old")
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
