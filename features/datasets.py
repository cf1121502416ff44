"""Real data sets that ship inside installed packages, located without importing them."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path


def packaged_file(distribution: str, relative_path: str) -> Path:
    """Path of a data file shipped inside an installed distribution (from its RECORD metadata)."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"package '{distribution}' is not installed; install the pinned requirements "
            f"(pip install -r requirements.lock)"
        ) from exc
    for entry in files:
        if str(entry).replace("\\", "/") == relative_path:
            path = Path(entry.locate())
            if path.exists():
                return path
    raise FileNotFoundError(f"'{relative_path}' is not part of the installed '{distribution}'")


def cdnow_master_path() -> Path:
    """The CDNOW master log (23,570 customers, 69,659 lines) from the `lifetimes` wheel."""
    return packaged_file("lifetimes", "lifetimes/datasets/CDNOW_master.txt")


def cdnow_sample_path() -> Path:
    """The 2,357-customer CDNOW sample of Fader, Hardie & Lee (2005), from the `lifetimes` wheel."""
    return packaged_file("lifetimes", "lifetimes/datasets/CDNOW_sample.txt")
