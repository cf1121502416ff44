"""The serving state and settings without a server: reload semantics, the auth decision, env parsing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from serving.settings import SCORING_ROUTES, ServiceArguments, ServingSettings
from serving.state import ServingSet, ServingState


def a_set(version: str) -> ServingSet:
    return ServingSet(models=None, versions={"customer-churn": version}, snapshot=pd.DataFrame(), scores={},
                      as_of=dt.date(2024, 1, 31), source="mlflow", loaded_at=dt.datetime.now(dt.UTC))


def test_a_failed_reload_keeps_the_previous_set_and_says_why() -> None:
    results = [RuntimeError("registry unreachable"), a_set("1"), LookupError("no champion for 'customer-clv'"),
               a_set("2")]

    def loader() -> ServingSet:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    state = ServingState(loader)
    assert state.reload() is False and state.current is None
    assert state.last_error == "RuntimeError: registry unreachable"
    assert state.reload() is True and state.current.versions == {"customer-churn": "1"} and state.last_error is None
    assert state.reload() is False and state.current.versions == {"customer-churn": "1"}
    assert "no champion for 'customer-clv'" in state.last_error
    assert state.reload() is True and state.current.versions == {"customer-churn": "2"} and state.last_error is None


def test_settings_need_a_key_or_an_explicit_opt_out(tmp_path) -> None:
    with pytest.raises(ValueError, match="no API key configured"):
        ServingSettings.from_env({}).require_auth_decision()
    ServingSettings.from_env({"INSIGHT_ALLOW_NO_AUTH": "1"}).require_auth_decision()
    keys = tmp_path / "keys"
    keys.write_text("# rotated 2024-01\nfile-key\n\n")
    settings = ServingSettings.from_env({"INSIGHT_API_KEYS": " a, ,b ", "INSIGHT_API_KEYS_FILE": str(keys)})
    assert settings.api_keys == ("a", "b", "file-key")


@pytest.mark.parametrize(("env", "message"), [
    ({"INSIGHT_MAX_CUSTOMERS": "many"}, "INSIGHT_MAX_CUSTOMERS"),
    ({"INSIGHT_MAX_CUSTOMERS": "0"}, "INSIGHT_MAX_CUSTOMERS"),
    ({"INSIGHT_MODEL_SOURCE": "s3"}, "INSIGHT_MODEL_SOURCE"),
    ({"INSIGHT_API_KEYS_FILE": "/nonexistent/keys"}, "^INSIGHT_API_KEYS_FILE: cannot read '/nonexistent/keys'"),
])
def test_bad_settings_name_the_variable(env: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServingSettings.from_env({"INSIGHT_API_KEYS": "k", **env})


def test_scoring_routes_are_traced_only_on_request() -> None:
    assert ServingSettings.from_env({}).tracing() == {"excluded_urls": list(SCORING_ROUTES)}
    assert "/score" in SCORING_ROUTES
    assert ServingSettings.from_env({"INSIGHT_TRACE_SCORING": "1"}).tracing() == {}
    with pytest.raises(ValueError, match="INSIGHT_TRACE_SCORING: Input should be a valid boolean"):
        ServingSettings.from_env({"INSIGHT_TRACE_SCORING": "sometimes"})


def test_worker_count_comes_from_the_environment() -> None:
    assert ServingSettings.from_env({}).workers == 2
    assert ServingSettings.from_env({"INSIGHT_WORKERS": "1"}).workers == 1
    with pytest.raises(ValueError, match="INSIGHT_WORKERS: Input should be greater than or equal to 1"):
        ServingSettings.from_env({"INSIGHT_WORKERS": "0"})


def test_what_insight_serve_decides_reaches_the_workers_as_bentoml_arguments(tmp_path) -> None:
    """`insight serve` passes its choices as BentoML arguments (JSON strings); they win over the
    environment, and what it leaves unset stays the environment's."""
    chosen = ServiceArguments(base="shop", allow_no_auth=True, run_dir=tmp_path)
    received = ServiceArguments(**json.loads(json.dumps(chosen.as_arguments())))
    assert received == chosen and "model_source" not in chosen.as_arguments()
    settings = received.settings({"INSIGHT_ALLOW_NO_AUTH": "0", "INSIGHT_RUN_DIR": "/elsewhere",
                                  "INSIGHT_MODEL_SOURCE": "bentoml", "INSIGHT_MAX_CUSTOMERS": "7"})
    assert settings.allow_no_auth and settings.run_dir == tmp_path
    assert settings.model_source == "bentoml" and settings.max_customers == 7
    settings.require_auth_decision()
    assert ServiceArguments().settings({"INSIGHT_RUN_DIR": "/elsewhere"}).run_dir == Path("/elsewhere")
    with pytest.raises(ValueError, match="no API key configured"):
        ServiceArguments().settings({}).require_auth_decision()


def test_a_built_bento_serves_the_models_it_carries() -> None:
    """bentofile.yaml's arguments replace those given at serve time: they must say `bentoml`."""
    bentofile = yaml.safe_load((Path(__file__).resolve().parents[2] / "bentofile.yaml").read_text())
    assert ServiceArguments(**bentofile["args"]).settings({"INSIGHT_API_KEYS": "k"}).model_source == "bentoml"


def test_insight_serve_refuses_to_start_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    for variable in ("INSIGHT_API_KEYS", "INSIGHT_API_KEYS_FILE", "INSIGHT_ALLOW_NO_AUTH"):
        monkeypatch.delenv(variable, raising=False)
    result = CliRunner().invoke(app, ["serve", "--port", "3999"])
    assert result.exit_code == 2
    assert "no API key configured" in result.output and "--no-auth" in result.output


def test_insight_serve_refuses_a_bad_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    monkeypatch.setenv("INSIGHT_API_KEYS", "k")
    monkeypatch.setenv("INSIGHT_WORKERS", "abc")
    result = CliRunner().invoke(app, ["serve", "--port", "3999"])
    assert result.exit_code == 2
    assert "INSIGHT_WORKERS: Input should be a valid integer" in result.output
