"""What the training layer reads from the environment (see `features.settings` for the pattern)."""

from __future__ import annotations

from features.settings import EnvSettings, variable


class TrainingSettings(EnvSettings):
    """The MLflow store and the customer base when a command is not told one."""

    tracking_uri: str | None = variable(
        "MLFLOW_TRACKING_URI", None, "MLflow tracking store: a tracking server URL or a database URI",
        shown_default="`sqlite:///mlruns/mlflow.db` (created on first use)")
    base: str | None = variable(
        "INSIGHT_BASE", None, "customer base when `--base` is not given",
        shown_default="the data directory's name; `insight serve`: the only base with champions")
