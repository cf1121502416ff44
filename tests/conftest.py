"""Shared fixtures: paths to real data (skipping cleanly when absent), and the scoring service over a
small trained workspace (started once per session, shared by tests/serving and tests/reliability)."""

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


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    """A small trained workspace (simulated base, registered champions, a snapshot); see tests/workspace.py."""
    from workspace import build_workspace

    return build_workspace(tmp_path_factory.mktemp("serving"))


@pytest.fixture(scope="session")
def service(workspace):
    """The real scoring service over `workspace`, started once per session for the serving and fault suites."""
    from service_process import start_service

    yield from start_service(workspace, "service")
