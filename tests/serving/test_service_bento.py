"""`insight serve --build`: champions and snapshot into the BentoML model store, a Bento, served from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service_process import Service, start_service
from workspace import SNAPSHOT_AS_OF, Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bento_service(workspace: Workspace) -> Iterator[Service]:
    yield from start_service(workspace, "bento", args=("--build",))


def test_the_built_bento_serves_the_champions_from_the_model_store(bento_service: Service, workspace: Workspace) -> None:
    with bento_service.client() as http:
        models = http.get("/models").json()
        scored = http.post("/score", json={"customer_ids": [workspace.snapshot_ids[0]]}).json()
    assert models["source"] == "bentoml" and models["snapshot_as_of"] == SNAPSHOT_AS_OF.isoformat()
    assert models["model_versions"] == scored["model_versions"]
    assert scored["customers"][0]["status"] == "ok"
    manifests = [path.read_text() for path in (workspace.root / "bentoml" / "bentos").glob("customer-insight/*/bento.yaml")]
    assert len(manifests) == 1 and "customer-insight-champions:" in manifests[0]
    assert "model_source: bentoml" in manifests[0]
