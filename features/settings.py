"""Settings from the environment: each variable declared once, typed, with its default and meaning.

Each layer declares the variables it reads in a settings class of its own (`FeatureSettings` here,
`training.settings.TrainingSettings`, `serving.settings.ServingSettings`), so dependencies still
point serving -> training -> features; `serving.settings.variables()` gathers them all, and the README's
table of environment variables is checked against it (tests/code/test_settings.py). Nothing else
in the project reads os.environ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


@dataclass(frozen=True)
class Variable:
    """One environment variable as the README lists it."""

    name: str
    default: str
    meaning: str


def variable(name: str, default: Any, meaning: str, shown_default: str | None = None, **constraints: Any) -> Any:
    """A settings field read from environment variable `name`; `shown_default` is how the README
    states the default when the value alone does not say it (e.g. "local[*]" for None)."""
    extra = {"shown_default": shown_default} if shown_default is not None else None
    return Field(default, alias=name, description=meaning, json_schema_extra=extra, **constraints)


class EnvSettings(BaseModel):
    """Base of the layers' settings: frozen, validated once, built from a mapping of variables."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Settings from `env` (default os.environ; an empty value counts as unset), with `overrides`
        (by field name, None meaning "not given") on top. A ValueError names the variable that is wrong."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {name: env[field.alias] for name, field in cls.model_fields.items()
                                  if field.alias and env.get(field.alias)}
        values.update({name: value for name, value in overrides.items() if value is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = cls.model_fields.get(str(error["loc"][0])) if error["loc"] else None
            reason = str(error["ctx"]["error"]) if "error" in error.get("ctx", {}) else error["msg"]
            # A model-level check (no field) names its variable itself.
            raise ValueError(f"{field.alias}: {reason}" if field is not None else reason) from None

    @classmethod
    def variables(cls) -> list[Variable]:
        """The variables this class reads, in declaration order."""
        return [Variable(field.alias, _shown(field), field.description or "")
                for field in cls.model_fields.values() if field.alias]


def _shown(field) -> str:
    extra = field.json_schema_extra or {}
    if "shown_default" in extra:
        return str(extra["shown_default"])
    default = field.default
    if default is None or default == ():
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"`{default.as_posix() if isinstance(default, Path) else default}`"


class FeatureSettings(EnvSettings):
    """What the feature layer reads from the environment."""

    spark_master: str | None = variable(
        "INSIGHT_SPARK_MASTER", None, "Spark master URL for `--engine spark` (a cluster; e.g. spark://host:7077)",
        shown_default="`local[*]`")
