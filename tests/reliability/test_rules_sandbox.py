"""Fault suite for audience rules: a rule is a condition over the customer table, never a query.

Each hostile rule goes through `insight audiences` as a user would give it: exit 2, one line
naming the rule and what is not allowed, and no audience directory written (a previous one
left as it was). The packaged playbook and a rule using the allowed functions still run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.audiences import assign, customer_table, load_rules
from serving.cli import app
from serving.rule_sandbox import sandboxed_connection

SCORES = pd.DataFrame({
    "customer_id": ["a", "b", "c"],
    "segment_name": ["loyal", "new", "lapsed"],
    "churn_probability": [0.1, 0.5, 0.95],
    "predicted_clv": [500.0, 40.0, 1.0],
    "p_purchase_90d": [0.9, 0.4, 0.01],
    "as_of": ["2023-10-31"] * 3,
})
FEATURES = pd.DataFrame({"customer_id": ["a", "b", "c"], "orders": [12.0, 1.0, 2.0],
                         "tenure_days": [700.0, 10.0, 300.0], "recency_days": [5.0, 10.0, 250.0],
                         "returns": [0.0, 0.0, 1.0], "spend_total": [5000.0, 40.0, 10.0],
                         "spend_90d": [600.0, 40.0, 0.0], "spend_trend_90d": [0.0, 40.0, 0.0],
                         "nov_dec_order_share": [0.1, 0.0, 0.5]})

HOSTILE = [
    ("read_file", "1=0 UNION ALL SELECT content FROM read_text('/etc/passwd')", "UNION (a second query)"),
    ("list_files", "customer_id IN (SELECT file FROM glob('/root/*'))", "a subquery"),
    ("scalar_file", "length(read_text('/etc/passwd')) > 0", "the function read_text()"),
    ("config", "current_setting('enable_external_access') = false", "the function current_setting()"),
    ("other_table", "customer_id IN (SELECT customer_id FROM duckdb_tables())", "a subquery"),
    ("exists", "EXISTS (SELECT 1)", "a subquery"),
    ("aggregate", "sum(orders) > 1", "the function sum()"),
    ("window", "row_number() OVER () < 2", "a window function"),
    ("grouping", "orders > 1 GROUP BY customer_id", "GROUP BY"),
    ("limited", "orders > 1 ORDER BY orders LIMIT 1", "ORDER BY, LIMIT or DISTINCT"),
    ("qualified_function", "main.abs(orders) > 1", "the function main.abs()"),
    ("other_column", "t.orders > 1", "the column reference t.orders"),
    ("lambda", "list_transform([orders], x -> x * 2) = [2]", "the function list_transform()"),
    ("parameter", "orders > $1", "a parameter"),
    ("unbalanced", "orders > 1) OR (1=1", "not a SQL condition"),
    ("second_statement", "orders > 1; DROP TABLE customers", "one SQL condition"),
]


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    scores, features = tmp_path / "scores.csv", tmp_path / "features.parquet"
    SCORES.to_csv(scores, index=False)
    FEATURES.to_parquet(features, index=False)
    return scores, features


def run_audiences(rule: str, name: str, root: Path, scores: Path, features: Path, out: Path) -> tuple[int, str]:
    rules = root / "rules.toml"
    rules.write_text(f"[[audience]]\nname = \"{name}\"\ndescription = \"d\"\nwhen = \"\"\"{rule}\"\"\"\n")
    result = CliRunner().invoke(app, ["audiences", "--scores", str(scores), "--features", str(features),
                                      "--rules", str(rules), "--out", str(out)], env={"COLUMNS": "300"})
    return result.exit_code, result.output


@pytest.mark.parametrize(("name", "rule", "refusal"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_rule_that_is_not_a_condition_is_refused_by_name(tmp_path: Path, inputs: tuple[Path, Path], name: str,
                                                            rule: str, refusal: str) -> None:
    out = tmp_path / "audiences"
    out.mkdir()
    (out / "summary.json").write_text("previous")
    code, output = run_audiences(rule, name, tmp_path, *inputs, out)
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and f"audience '{name}'" in lines[0] and refusal in lines[0], output
    assert "root:" not in output and "Traceback" not in output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert (out / "summary.json").read_text() == "previous"


def test_the_packaged_playbook_and_the_allowed_functions_still_run(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    table = customer_table(SCORES, FEATURES.set_index("customer_id"))
    assert len(assign(table, load_rules()).rules.audience) == 11
    rule = ("coalesce(orders, 0) >= 2 AND lower(segment_name) LIKE 'l%' AND abs(round(churn_probability, 1)) "
            "BETWEEN 0 AND 0.9 AND CAST(tenure_days AS INTEGER) > 30 AND month(CAST(as_of AS DATE)) = 10 "
            "AND customer_id NOT IN ('x') AND CASE WHEN orders > 10 THEN true ELSE false END")
    code, output = run_audiences(rule, "loyal", tmp_path, *inputs, tmp_path / "out")
    assert code == 0, output
    assert pd.read_csv(tmp_path / "out" / "loyal.csv")["customer_id"].tolist() == ["a"]


@pytest.mark.parametrize("query", ["SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM glob('/root/*')",
                                   "COPY (SELECT 1) TO 'leak.csv'", "SET enable_external_access = true",
                                   "ATTACH 'other.duckdb'", "LOAD httpfs"])
def test_the_rule_connection_cannot_reach_files_even_past_the_check(query: str) -> None:
    con = sandboxed_connection()
    with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
        con.execute(query)
    con.close()
