"""The real-time scoring service: champion models and the latest feature snapshot behind a typed API.

Run it with `insight serve` (or `bentoml serve serving.service:CustomerInsight`). Its settings are
read once per process: the environment's, with what `insight serve` decided on top as BentoML
arguments (`serving.settings.ServiceArguments`). The set of models is loaded once at start-up (see
`serving.sources` for where from) and replaced by POST /reload.
Every path but the probes, /metrics and the OpenAPI document needs `Authorization: Bearer <key>`
(see `serving.security`). POST endpoints are BentoML APIs; GET /models is a mounted FastAPI route,
since BentoML APIs are POST-only.
"""

from __future__ import annotations

import datetime as dt
import logging

import bentoml
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from serving.openapi import OpenApiDocument
from serving.readiness import ReadinessProbe
from serving.refusal_log import log_refusals_at_info
from serving.realtime import explain_ids, score_histories, score_ids
from serving.schemas import (
    CustomerHistory,
    ExplainRequest,
    ExplainResponse,
    HistoryRequest,
    ModelsResponse,
    ReloadRequest,
    ReloadResponse,
    ScoreRequest,
    ScoreResponse,
)
from serving.security import ApiKeyGuard
from serving.settings import ServiceArguments
from serving.sources import loader_for
from serving.state import ServingSet, ServingState
from serving.worker_sync import WorkerSync, run_dir

arguments = bentoml.use_arguments(ServiceArguments)
settings = arguments.settings()


def log_to_stderr(name: str = "serving") -> None:
    """Send the `serving.*` loggers (loads, reload failures, reloads between workers) to stderr,
    beside BentoML's own log lines; BentoML configures only its own loggers."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] [%(name)s:%(process)d] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


info_app = FastAPI(title="customer-insight", docs_url=None, redoc_url=None, openapi_url=None)


def refusal(status: int, message: str) -> JSONResponse:
    """A JSON error answer ({"error": message}) for limits and an empty model set."""
    return JSONResponse({"error": message}, status_code=status)


@bentoml.asgi_app(info_app, path="/")
@bentoml.service(name="customer-insight", traffic={"timeout": 60}, workers=settings.workers, threads=2,
                 tracing=settings.tracing())
class CustomerInsight:
    """Customer insight in real time: segment, churn, next purchase and lifetime value per customer."""

    def __init__(self) -> None:
        log_to_stderr()
        log_refusals_at_info()
        self.settings = settings
        self.settings.require_auth_decision()
        self.state = ServingState(loader_for(self.settings, base=arguments.base))
        self.workers = WorkerSync(self.state.reload, run_dir(self.settings.run_dir))
        self.workers.start()

    def __is_ready__(self) -> bool:
        return self.state.current is not None

    def serving(self) -> ServingSet | JSONResponse:
        """The current set, or a 503 answer saying why nothing is loaded."""
        current = self.state.current
        if current is None:
            return refusal(503, f"no models loaded: {self.state.last_error}; fix it and POST /reload")
        return current

    def too_many_customers(self, count: int) -> JSONResponse | None:
        limit = self.settings.max_customers
        if count > limit:
            return refusal(413, f"{count:,} customers in one request; the limit is {limit:,} "
                                "(INSIGHT_MAX_CUSTOMERS): split the request")
        return None

    @bentoml.api(route="/score", input_spec=ScoreRequest)
    async def score(self, customer_ids: list[str]) -> ScoreResponse:
        """Scores of customers in the feature snapshot, by id; unknown ids get status unknown_customer.

        Lookups of precomputed scores: cheap enough to answer on the event loop, so /score never
        waits behind the worker threads busy with /explain, /score_history or /reload.
        """
        serving = self.serving()
        if isinstance(serving, JSONResponse):
            return serving
        return self.too_many_customers(len(customer_ids)) or score_ids(serving, customer_ids)

    @bentoml.api(route="/score_history", input_spec=HistoryRequest)
    def score_history(self, customers: list[CustomerHistory], as_of: dt.date | None = None) -> ScoreResponse:
        """Scores computed from each customer's raw transactions as of `as_of`, with the training feature code."""
        serving = self.serving()
        if isinstance(serving, JSONResponse):
            return serving
        if refused := self.too_many_customers(len(customers)):
            return refused
        limit = self.settings.max_transactions
        for i, customer in enumerate(customers):
            for what, items in (("transactions", customer.transactions), ("events", customer.events)):
                if len(items) > limit:
                    return refusal(413, f"customers[{i}] has {len(items):,} {what}; the limit is {limit:,} "
                                        f"per customer (INSIGHT_MAX_TRANSACTIONS)")
        try:
            return score_histories(serving, customers, as_of)
        except (ValueError, KeyError) as exc:
            return refusal(422, f"cannot score these transactions: {exc}")

    @bentoml.api(route="/explain", input_spec=ExplainRequest)
    def explain(self, customer_ids: list[str], top: int = 3) -> ExplainResponse:
        """The strongest reasons behind each customer's churn probability and predicted CLV, in plain words."""
        serving = self.serving()
        if isinstance(serving, JSONResponse):
            return serving
        return self.too_many_customers(len(customer_ids)) or explain_ids(serving, customer_ids, top)

    @bentoml.api(route="/reload", input_spec=ReloadRequest)
    def reload(self) -> ReloadResponse:
        """Load the current champions and newest snapshot in every worker; answers when all have
        reloaded. On failure the previous set keeps serving."""
        reloaded, behind = self.workers.reload_everywhere()
        serving = self.serving()
        if isinstance(serving, JSONResponse):
            return serving
        error = self.state.last_error or ""
        if behind:
            error = (f"{error}; " if error else "") + f"worker process(es) {behind} had not reloaded in time"
        return ReloadResponse(reloaded=reloaded and not behind, model_versions=serving.versions,
                              snapshot_as_of=serving.as_of, error=error)

    @info_app.get("/models", response_model=ModelsResponse,
                  responses={503: {"description": "No models loaded; the error says why."}})
    def models(self):
        """Which model versions and feature snapshot are serving, and the last failed load if any."""
        serving = self.serving()
        if isinstance(serving, JSONResponse):
            return serving
        return ModelsResponse(
            source=serving.source, model_versions=serving.versions, horizon_days=serving.models.horizon_days,
            feature_schema_version=str(serving.models.feature_schema_version), snapshot_as_of=serving.as_of,
            snapshot_customers=len(serving.snapshot), loaded_at=serving.loaded_at,
            last_load_error=self.state.last_error,
        )


CustomerInsight.add_asgi_middleware(ApiKeyGuard, settings=settings,
                                    json_routes=frozenset(api.route for api in CustomerInsight.apis.values()))
CustomerInsight.add_asgi_middleware(ReadinessProbe)
CustomerInsight.add_asgi_middleware(OpenApiDocument, spec=lambda: CustomerInsight.openapi_spec.asdict(),
                                    settings=settings)
