"""Schemathesis against the service's own OpenAPI document, with every check: no 5xx, no answer
outside the schema, every request the schema allows accepted and every one it forbids refused.

A bounded run (a few positive and a few negative examples per operation) on the shared service;
the coverage phase (undeclared methods among others) and 200 examples per operation run in
bench/api_contract.py, and tests/reliability/test_api_faults.py keeps the undeclared methods.
The settings are the repository's schemathesis.toml. Hypothesis runs inside the test rather than
through `schemathesis.pytest.from_fixture`, which does not work with pytest 9 (it reads a removed
private attribute of the test node).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from service_process import KEYS, Service

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 8
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
OPERATIONS = ["POST /score", "POST /score_history", "POST /explain", "POST /reload", "GET /models"]


@pytest.fixture(scope="module")
def api_schema(service: Service):
    return schemathesis.openapi.from_url(f"{service.url}/docs.json", config=SchemathesisConfig.from_path(CONFIG))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_check_holds(api_schema, service: Service, operation: str, mode: GenerationMode) -> None:
    method, path = operation.split(" ")
    api_operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {KEYS[0]}"}

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=api_operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        case.call_and_validate(base_url=service.url, headers=headers)

    check()
