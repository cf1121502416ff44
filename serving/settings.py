"""The scoring service's configuration: one typed object read from the environment at start-up.

| variable | meaning | default |
| --- | --- | --- |
| INSIGHT_API_KEYS | comma-separated API keys | none |
| INSIGHT_API_KEYS_FILE | file with one API key per line (`#` comments allowed) | none |
| INSIGHT_ALLOW_NO_AUTH | `1` to serve without keys (local development only) | off |
| INSIGHT_MODEL_SOURCE | `mlflow` (registry + snapshot store) or `bentoml` (the model store) | mlflow |
| INSIGHT_MAX_CUSTOMERS | customers per request | 1000 |
| INSIGHT_MAX_TRANSACTIONS | transactions per customer in /score_history | 10000 |
| INSIGHT_MAX_BODY_BYTES | request body size | 16 MiB |
| INSIGHT_WORKERS | worker processes, each holding the models and scores (POST /reload reaches all) | 2 |
| INSIGHT_TRACE_SCORING | `1` to create OpenTelemetry spans for the scoring routes too | off |
| INSIGHT_SNAPSHOT_AS_OF | the snapshot cutoff to serve (YYYY-MM-DD) | the newest within the data |
| INSIGHT_MAX_DAYS_PAST_DATA | days a served snapshot's cutoff may lie after its newest purchase | 90 |

The scoring routes are left out of tracing by default: BentoML builds several spans per request
even when no exporter is configured, which took about half the service's CPU per /score call
(bench/README.md, Serving). Access logs and Prometheus metrics still cover every request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA

BENTO_MODEL_NAME = "customer-insight-champions"
SCORING_ROUTES: tuple[str, ...] = ("/score", "/score_history", "/explain")
_VARIABLES = {
    "model_source": "INSIGHT_MODEL_SOURCE",
    "max_customers": "INSIGHT_MAX_CUSTOMERS",
    "max_transactions": "INSIGHT_MAX_TRANSACTIONS",
    "max_body_bytes": "INSIGHT_MAX_BODY_BYTES",
    "snapshot_as_of": "INSIGHT_SNAPSHOT_AS_OF",
    "max_days_past_data": "INSIGHT_MAX_DAYS_PAST_DATA",
}


class ServingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_keys: tuple[str, ...] = ()
    allow_no_auth: bool = False
    model_source: Literal["mlflow", "bentoml"] = "mlflow"
    max_customers: int = Field(1000, ge=1)
    max_transactions: int = Field(10_000, ge=1)
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    snapshot_as_of: dt.date | None = None
    max_days_past_data: int = Field(DEFAULT_MAX_DAYS_PAST_DATA, ge=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServingSettings:
        """Settings from `env` (default os.environ); a ValueError names the variable that is wrong."""
        env = os.environ if env is None else env
        values: dict[str, object] = {
            "api_keys": read_api_keys(env),
            "allow_no_auth": switched_on(env, "INSIGHT_ALLOW_NO_AUTH"),
        }
        for field, variable in _VARIABLES.items():
            if env.get(variable):
                values[field] = env[variable]
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            variable = _VARIABLES.get(str(error["loc"][0]), str(error["loc"][0]))
            raise ValueError(f"{variable}: {error['msg']}") from None

    def require_auth_decision(self) -> None:
        """Refuse to serve unprotected by accident: no key and no explicit opt-out is an error."""
        if not self.api_keys and not self.allow_no_auth:
            raise ValueError(
                "no API key configured: set INSIGHT_API_KEYS (comma-separated) or INSIGHT_API_KEYS_FILE, "
                "or start with `insight serve --no-auth` (INSIGHT_ALLOW_NO_AUTH=1) for local development"
            )


def switched_on(env: Mapping[str, str], variable: str) -> bool:
    """Whether an on/off variable is set to 1, true or yes."""
    return env.get(variable, "") in ("1", "true", "yes")


def read_api_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """Keys from INSIGHT_API_KEYS and the file named by INSIGHT_API_KEYS_FILE, blanks dropped."""
    keys = [key.strip() for key in env.get("INSIGHT_API_KEYS", "").split(",")]
    if path := env.get("INSIGHT_API_KEYS_FILE"):
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"INSIGHT_API_KEYS_FILE: cannot read '{path}' ({exc.strerror})") from None
        keys += [line.strip() for line in lines if not line.lstrip().startswith("#")]
    return tuple(key for key in keys if key)


def tracing_config(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """BentoML's `tracing` service option: the scoring routes excluded unless INSIGHT_TRACE_SCORING=1.

    Read when the service class is defined, before `ServingSettings.from_env` runs in the worker.
    """
    env = os.environ if env is None else env
    if switched_on(env, "INSIGHT_TRACE_SCORING"):
        return {}
    return {"excluded_urls": list(SCORING_ROUTES)}


def service_workers(env: Mapping[str, str] | None = None) -> int:
    """BentoML's `workers` service option from INSIGHT_WORKERS (default 2: /score is bound by one
    core's Python per worker; bench/README.md, Serving)."""
    env = os.environ if env is None else env
    value = env.get("INSIGHT_WORKERS", "2")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"INSIGHT_WORKERS: must be a whole number of worker processes >= 1; got {value!r}")
    return int(value)
