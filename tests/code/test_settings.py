"""Settings in one typed place: every environment variable declared once, listed in the README,
and read nowhere else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from features.settings import FeatureSettings
from serving.settings import ServingSettings, variables, variables_table
from training.settings import TrainingSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULES = {ROOT / "features" / "settings.py"}
LIBRARY_DEFAULTS = {"PYSPARK_PYTHON", "OMP_WAIT_POLICY", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"}
"""Variables the project sets for libraries when unset (os.environ.setdefault), never reads."""


def readme_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_the_readme_lists_every_variable_as_the_settings_declare_it() -> None:
    assert readme_table() == variables_table(), (
        "README.md's table of environment variables differs from the settings; replace it with\n"
        + variables_table())


def test_each_variable_is_declared_once_with_a_meaning() -> None:
    names = [v.name for v in variables()]
    assert len(names) == len(set(names))
    assert {"MLFLOW_TRACKING_URI", "INSIGHT_SPARK_MASTER", "INSIGHT_SNAPSHOTS", "INSIGHT_BASE"} <= set(names)
    assert all(v.meaning and v.default for v in variables())


def environment_uses(path: Path, root: Path = ROOT) -> list[str]:
    """Each use of os.environ / os.getenv in `path` other than a library default or handing the
    environment on to a child process, as 'file:line: code'."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
                and node.attr in ("environ", "getenv", "putenv", "unsetenv")):
            continue
        parent = parents.get(node)
        if node.attr == "environ":
            call = parents.get(parent)
            if (isinstance(parent, ast.Attribute) and parent.attr == "setdefault" and isinstance(call, ast.Call)
                    and isinstance(call.args[0], ast.Constant) and call.args[0].value in LIBRARY_DEFAULTS):
                continue
            if isinstance(parent, ast.Dict) or (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                                                and parent.func.id == "dict"):
                continue
        found.append((node.lineno, f"{path.relative_to(root)}:{node.lineno}: "
                                   f"{ast.get_source_segment(source, parent or node)}"))
    return [use for _, use in sorted(found)]


def test_nothing_outside_the_settings_reads_or_writes_the_environment() -> None:
    files = [p for package in ("features", "training", "serving") for p in (ROOT / package).rglob("*.py")
             if p not in SETTINGS_MODULES]
    assert [use for path in files for use in environment_uses(path)] == []


def test_the_scan_sees_reads_and_writes(tmp_path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('import os\nos.environ.get("INSIGHT_X")\nos.environ["INSIGHT_Y"] = "1"\nos.getenv("Z")\n'
                     'os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")\nenv = {**os.environ, "A": "1"}\n')
    assert [use.split(":")[1] for use in environment_uses(probe, tmp_path)] == ["2", "3", "4"]


@pytest.mark.parametrize(("settings", "env", "variable"), [
    (FeatureSettings, {"INSIGHT_SPARK_MASTER": "local[*]", "INSIGHT_UNRELATED": "x"}, None),
    (TrainingSettings, {"MLFLOW_TRACKING_URI": "sqlite:///x.db"}, None),
    (ServingSettings, {"INSIGHT_MAX_BODY_BYTES": "12"}, "INSIGHT_MAX_BODY_BYTES"),
    (ServingSettings, {"INSIGHT_SNAPSHOT_AS_OF": "31/12/2024"}, "INSIGHT_SNAPSHOT_AS_OF"),
    (ServingSettings, {"INSIGHT_ALLOW_NO_AUTH": "perhaps"}, "INSIGHT_ALLOW_NO_AUTH"),
])
def test_a_bad_value_names_its_variable_and_other_variables_are_ignored(settings, env, variable) -> None:
    if variable is None:
        settings.from_env(env)
        return
    with pytest.raises(ValueError, match=f"^{re.escape(variable)}: "):
        settings.from_env(env)


def test_values_are_typed_and_empty_means_unset(tmp_path) -> None:
    settings = ServingSettings.from_env({"INSIGHT_SNAPSHOTS": str(tmp_path), "INSIGHT_SNAPSHOT_AS_OF": "2024-12-31",
                                         "INSIGHT_ALLOW_NO_AUTH": "yes", "INSIGHT_MAX_CUSTOMERS": ""})
    assert settings.snapshots == tmp_path and settings.snapshot_as_of.isoformat() == "2024-12-31"
    assert settings.allow_no_auth is True and settings.max_customers == 1000
    assert TrainingSettings.from_env({}).tracking_uri is None
