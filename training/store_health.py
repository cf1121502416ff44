"""A damaged MLflow store gives one line saying what is damaged and how to recover, not a traceback.

The local SQLite database is checked before MLflow opens it: MLflow would silently turn an empty
file into a new, empty store (hiding that the champions are gone) and fails on a truncated one
deep inside SQLAlchemy. A champion whose model files are missing or cut short is named with its
version. Nothing here writes to the store, so the damaged files stay as they were for recovery.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

SQLITE_HEADER = b"SQLite format 3\x00"


class DamagedStore(ValueError):
    """The MLflow store, or the files of a champion in it, cannot be read."""


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` tracking URI (None for any other store)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    return Path(unquote(uri[len(prefix):].split("?", 1)[0]))


def check_tracking_store(uri: str) -> None:
    """Refuse a local SQLite store that is empty, not SQLite, or fails SQLite's integrity check."""
    path = sqlite_path(uri)
    if path is None or not path.exists():
        return
    stat = path.stat()
    _check_file(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _check_file(path: Path, size: int, mtime_ns: int) -> None:
    """The checks of one state of the file (a changed size or time checks again)."""
    recover = "restore it from a backup, or move it aside and run `insight train` to start a new store"
    if size == 0:
        raise DamagedStore(f"the MLflow store {path} is empty (0 bytes), not a database: {recover}")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DamagedStore(f"the MLflow store {path} is not an SQLite database: {recover}")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        verdict = str(exc)
    if verdict != "ok":
        raise DamagedStore(f"the MLflow store {path} is damaged ({verdict.splitlines()[0]}): {recover}")


@contextlib.contextmanager
def champion_files(name: str, version: str) -> Iterator[None]:
    """Turn a failure to download or unpickle champion `name` v`version` into one DamagedStore line."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except (OSError, MlflowException) as exc:
        cause = "" if isinstance(exc, (FileNotFoundError, MlflowException)) else f" ({_first_line(exc)})"
        raise DamagedStore(
            f"the files of champion {name} v{version} are missing from the MLflow artifact store{cause}: "
            "restore the artifact store from a backup, or run `insight train` to register a new champion"
        ) from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        raise DamagedStore(
            f"the model bundle of champion {name} v{version} is damaged ({type(exc).__name__}: "
            f"{_first_line(exc) or 'truncated'}): restore the artifact store from a backup, or run "
            "`insight train` to register a new champion"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
