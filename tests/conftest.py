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


# Tests that share an expensive session fixture run on one pytest-xdist worker, so it is built once;
# every other test stays with its module, so module fixtures are built once too.
SHARED_FIXTURE_GROUPS = (
    ("batch-store", {"store"}),
    ("serving-workspace", {"workspace"}),
    ("spark", {"spark_backend"}),
)


def xdist_group_of(item: pytest.Item) -> str:
    """The xdist group of a test: the expensive session fixture it uses, else its module."""
    defs = getattr(item, "_fixtureinfo").name2fixturedefs
    session = {name for name, chain in defs.items() if chain and chain[-1].scope == "session"}
    for group, fixtures in SHARED_FIXTURE_GROUPS:
        if session & fixtures:
            return group
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))
