"""What the serving layer reads from the environment, and `variables()`, every layer's variables in one
list (the README's table of environment variables is generated from `variables_table`).

The scoring service's workers get `ServingSettings` from their environment (the operator's), with
what `insight serve` decided on top as BentoML arguments (`ServiceArguments`, read with
`bentoml.use_arguments` in `serving.service`): the CLI never writes os.environ.

The scoring routes are left out of tracing by default: BentoML builds several spans per request
even when no exporter is configured, which took about half the service's CPU per /score call
(bench/README.md, Serving). Access logs and Prometheus metrics still cover every request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from features.pipeline.data_end import DEFAULT_MAX_DAYS_PAST_DATA
from features.settings import EnvSettings, FeatureSettings, Variable, variable
from training.bases import Base
from training.settings import TrainingSettings

BENTO_MODEL_NAME = "customer-insight-champions"
SCORING_ROUTES: tuple[str, ...] = ("/score", "/score_history", "/explain")
ModelSource = Literal["mlflow", "bentoml"]


class ServingSettings(EnvSettings):
    """The scoring service, batch scoring's snapshot store and the campaign store."""

    api_keys: tuple[str, ...] = variable("INSIGHT_API_KEYS", (), "comma-separated API keys of the scoring service")
    api_keys_file: Path | None = variable(
        "INSIGHT_API_KEYS_FILE", None, "file with one API key per line (`#` comments allowed), added to the keys")
    allow_no_auth: bool = variable(
        "INSIGHT_ALLOW_NO_AUTH", False, "`1` to serve without keys (local development only; `insight serve --no-auth`)")
    model_source: ModelSource = variable(
        "INSIGHT_MODEL_SOURCE", "mlflow", "where the service loads its models: `mlflow` (registry and snapshot "
        "store) or `bentoml` (the BentoML model store; a Bento built by `insight serve --build` says so itself)")
    max_customers: int = variable("INSIGHT_MAX_CUSTOMERS", 1000, "customers per API request", ge=1)
    max_transactions: int = variable(
        "INSIGHT_MAX_TRANSACTIONS", 10_000, "transactions per customer in /score_history", ge=1)
    max_body_bytes: int = variable(
        "INSIGHT_MAX_BODY_BYTES", 16 * 1024 * 1024, "request body size in bytes", shown_default="`16777216` (16 MiB)",
        ge=1024)
    snapshot_as_of: dt.date | None = variable(
        "INSIGHT_SNAPSHOT_AS_OF", None, "the snapshot cutoff the service serves (YYYY-MM-DD)",
        shown_default="the newest within its data")
    max_days_past_data: int = variable(
        "INSIGHT_MAX_DAYS_PAST_DATA", DEFAULT_MAX_DAYS_PAST_DATA,
        "days a served snapshot's cutoff may lie after its newest purchase", ge=0)
    workers: int = variable(
        "INSIGHT_WORKERS", 2, "worker processes of the service, each holding the models and scores "
        "(POST /reload reaches all)", ge=1)
    trace_scoring: bool = variable(
        "INSIGHT_TRACE_SCORING", False, "`1` to create OpenTelemetry spans for the scoring routes too")
    snapshots: Path = variable(
        "INSIGHT_SNAPSHOTS", Path("runs/snapshots"), "feature snapshot store: `insight score` saves the snapshots "
        "the service reads (a named base's under `bases/NAME/`)")
    campaigns: Path = variable(
        "INSIGHT_CAMPAIGNS", Path("runs/campaigns.db"), "campaign store (SQLite) when `--store` is not given")
    run_dir: Path | None = variable(
        "INSIGHT_RUN_DIR", None, "directory the service's workers share to reload together",
        shown_default="a new temporary directory per `insight serve`")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        return split_keys(value) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _keys_from_file(cls, data: Any) -> Any:
        """The keys of INSIGHT_API_KEYS_FILE join those of INSIGHT_API_KEYS."""
        if not isinstance(data, dict) or not data.get("api_keys_file"):
            return data
        path = Path(data["api_keys_file"])
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"INSIGHT_API_KEYS_FILE: cannot read '{path}' ({exc.strerror})") from None
        keys = data.get("api_keys", ())
        from_file = tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
        return {**data, "api_keys": (*(split_keys(keys) if isinstance(keys, str) else keys), *from_file)}

    def require_auth_decision(self) -> None:
        """Refuse to serve unprotected by accident: no key and no explicit opt-out is an error."""
        if not self.api_keys and not self.allow_no_auth:
            raise ValueError(
                "no API key configured: set INSIGHT_API_KEYS (comma-separated) or INSIGHT_API_KEYS_FILE, "
                "or start with `insight serve --no-auth` (INSIGHT_ALLOW_NO_AUTH=1) for local development"
            )

    def tracing(self) -> dict[str, object]:
        """BentoML's `tracing` service option: the scoring routes excluded unless INSIGHT_TRACE_SCORING=1."""
        return {} if self.trace_scoring else {"excluded_urls": list(SCORING_ROUTES)}


def snapshot_store(base: Base, settings: ServingSettings | None = None) -> Path:
    """Where `base`'s feature snapshots live in the snapshot store (INSIGHT_SNAPSHOTS)."""
    return base.snapshots((settings or ServingSettings.from_env()).snapshots)


def split_keys(text: str) -> tuple[str, ...]:
    """'a, ,b ' -> ('a', 'b')."""
    return tuple(key.strip() for key in text.split(",") if key.strip())


class ServiceArguments(BaseModel):
    """What `insight serve` decides for the service's workers, passed to them as BentoML arguments
    (`bentoml.serve(..., args=...)`, `bentoml serve ... --arg NAME=VALUE`); None leaves it to the
    environment. A built Bento carries its own (`model_source: bentoml`, bentofile.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str | None = None
    allow_no_auth: bool | None = None
    model_source: ModelSource | None = None
    run_dir: Path | None = None

    def settings(self, env=None) -> ServingSettings:
        """The workers' settings: the environment's, with these arguments on top."""
        return ServingSettings.from_env(env, allow_no_auth=self.allow_no_auth, model_source=self.model_source,
                                        run_dir=self.run_dir)

    def as_arguments(self) -> dict[str, str]:
        """The arguments as BentoML passes them to the workers (JSON), unset ones left out."""
        return {name: str(value) for name, value in self.model_dump(exclude_none=True).items()}


LAYERS: tuple[type[EnvSettings], ...] = (FeatureSettings, TrainingSettings, ServingSettings)


def variables() -> list[Variable]:
    """Every environment variable the project reads, layer by layer."""
    return [v for layer in LAYERS for v in layer.variables()]


def variables_table() -> str:
    """The README's table of environment variables (markdown)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.default} | {v.meaning} |" for v in variables()]
    return "\n".join(rows)
