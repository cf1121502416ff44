"""Shared fixtures: paths to real data (skipping cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail_ii_eu_subset.xlsx"
ONLINE_RETAIL_I = SHARED_DATA / "online_retail_I.csv.gz"


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    """The Online Retail II subset in ../shared/data; tests that need it skip without it."""
    if not ONLINE_RETAIL.exists():
        pytest.skip(f"{ONLINE_RETAIL} is not present")
    return ONLINE_RETAIL


@pytest.fixture(scope="session")
def online_retail_i_path() -> Path:
    """The complete Online Retail I log in ../shared/data; tests that need it skip without it."""
    if not ONLINE_RETAIL_I.exists():
        pytest.skip(f"{ONLINE_RETAIL_I} is not present")
    return ONLINE_RETAIL_I
