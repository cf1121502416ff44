"""The real scoring service as a subprocess on a free port, over a small trained workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service_process import Service, start_service
from workspace import Workspace, build_workspace


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("serving"))


@pytest.fixture(scope="session")
def service(workspace: Workspace) -> Iterator[Service]:
    yield from start_service(workspace, "service")
