"""Promotion and reload while serving: versions switch with no failed request; a broken set is refused.

Runs after the other service tests (it changes the registry the shared service reads).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from service_process import Service
from training.bases import Base
from training.champions import CHAMPION, current_set, record_set
from training.override import promote
from workspace import Workspace

pytestmark = pytest.mark.slow

NAME = "customer-churn"


@pytest.fixture()
def registry(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", workspace.tracking_uri)
    mlflow.set_tracking_uri(workspace.tracking_uri)
    yield MlflowClient()
    mlflow.set_tracking_uri(None)


def hammer(service: Service, customer_id: str, stop: threading.Event, statuses: list[tuple[int, str]]) -> None:
    with service.client() as http:
        while not stop.is_set():
            answer = http.post("/score", json={"customer_ids": [customer_id]})
            statuses.append((answer.status_code, answer.json().get("model_versions", {}).get(NAME, "")))


def reload_under_load(service: Service, customer_id: str) -> tuple[dict, list[tuple[int, str]]]:
    stop, statuses = threading.Event(), []
    threads = [threading.Thread(target=hammer, args=(service, customer_id, stop, statuses)) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        with service.client() as http:
            reload = http.post("/reload", json={})
        assert reload.status_code == 200, reload.text
        with service.client() as http:
            http.post("/score", json={"customer_ids": [customer_id]})
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return reload.json(), statuses


def every_worker_says(service: Service, path: str, field: str, tries: int = 24) -> set[str]:
    """The distinct answers for `field` over `tries` fresh connections, which the service's worker
    processes accept in turn."""
    answers = set()
    for _ in range(tries):
        with service.client() as http:
            value = http.get(path).json()[field]
        answers.add(value[NAME] if isinstance(value, dict) else value)
    return answers


def test_promotion_then_reload_switches_versions_without_failed_requests(
    service: Service, workspace: Workspace, registry: MlflowClient, tmp_path: Path
) -> None:
    client = registry
    champion = client.get_model_version_by_alias(NAME, "champion")
    promoted = client.create_model_version(NAME, source=champion.source, run_id=champion.run_id)
    before, after = str(champion.version), str(promoted.version)
    promote(client, Base(), {"churn": after}, "reload test: a new churn version")
    customer = workspace.snapshot_ids[0]

    outcome, statuses = reload_under_load(service, customer)
    assert outcome["reloaded"] is True and outcome["error"] == ""
    assert outcome["model_versions"][NAME] == after != before
    assert statuses and {code for code, _ in statuses} == {200}
    assert {version for _, version in statuses} <= {before, after}
    assert every_worker_says(service, "/models", "model_versions") == {after}
    assert re.search(r"reload generation \d+ requested: reloading this worker", service.log.read_text(errors="replace"))

    broken_dir = tmp_path / "not-a-model"
    broken_dir.mkdir()
    broken = client.create_model_version(NAME, source=str(broken_dir))
    good = current_set(client, Base())
    record_set(client, Base(), {**good.versions, "churn": str(broken.version)}, alias=CHAMPION, run_id=None,
               source=str(broken_dir), reason="reload test: a damaged set")
    outcome, statuses = reload_under_load(service, customer)
    assert outcome["reloaded"] is False and outcome["error"]
    assert outcome["model_versions"][NAME] == after
    assert {code for code, _ in statuses} == {200} and {version for _, version in statuses} == {after}
    with service.client(key=None) as http:
        ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["last_load_error"] == outcome["error"]
    assert every_worker_says(service, "/readyz", "model_versions") == {after}
    assert every_worker_says(service, "/readyz", "last_load_error") == {outcome["error"]}

    record_set(client, Base(), good.versions, alias=CHAMPION, run_id=None, source=str(broken_dir),
               reason="reload test: back to the good set")
    with service.client() as http:
        again = http.post("/reload", json={}).json()
    assert again["reloaded"] is True and again["error"] == ""
