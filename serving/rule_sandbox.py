"""Audience conditions as expressions over the customer table only, evaluated without file access.

A rule's `when` becomes the WHERE clause of `SELECT customer_id FROM customers`. DuckDB's own
parser (`json_serialize_sql`) reads the whole statement, so the check sees exactly what would
run: it must be that one SELECT with a condition made of column references, literals, operators
and the pure functions in `SAFE_FUNCTIONS`; anything else (a second query, a subquery, a table or
file function, an aggregate or window) is refused by name. The statement then runs in a
connection with external access disabled and its configuration locked, a second wall should the
check ever let something through.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

TABLE = "customers"
STATEMENT = f"SELECT customer_id FROM {TABLE} WHERE "

SAFE_FUNCTIONS = frozenset({
    # operators: arithmetic, string concatenation, LIKE/ILIKE/GLOB and their negations
    "+", "-", "*", "/", "//", "%", "^", "**", "||", "~~", "!~~", "~~*", "!~~*", "~~~", "!~~~",
    # numbers
    "abs", "sign", "round", "floor", "ceil", "ceiling", "trunc", "sqrt", "cbrt", "exp", "ln", "log", "log2",
    "log10", "pow", "power", "mod", "least", "greatest", "isnan", "isinf", "isfinite",
    # nulls and conditions
    "ifnull", "nullif", "if",
    # text
    "lower", "upper", "lcase", "ucase", "length", "strlen", "trim", "ltrim", "rtrim", "starts_with",
    "ends_with", "prefix", "suffix", "contains", "regexp_matches", "substring", "substr", "left", "right",
    "concat", "replace",
    # dates
    "date_part", "datepart", "date_diff", "datediff", "date_trunc", "datetrunc", "year", "month", "day",
    "quarter", "week", "dayofweek", "dayofyear", "isodow", "make_date",
})
SAFE_OPERATORS = frozenset({"COMPARE_IN", "COMPARE_NOT_IN", "OPERATOR_NOT", "OPERATOR_IS_NULL",
                            "OPERATOR_IS_NOT_NULL", "OPERATOR_COALESCE"})
PLAIN_EXPRESSIONS = frozenset({"CONSTANT", "COMPARISON", "CONJUNCTION", "BETWEEN", "CASE", "CAST", "TYPE"})
CLAUSES = {"modifiers": "ORDER BY, LIMIT or DISTINCT", "group_expressions": "GROUP BY", "group_sets": "GROUP BY",
           "having": "HAVING", "qualify": "QUALIFY", "sample": "USING SAMPLE", "cte_map": "WITH",
           "aggregate_handling": "GROUP BY ALL", "select_list": "another select list", "from_table": "FROM"}
EXPRESSION_NAMES = {"SUBQUERY": "a subquery (SELECT ...)", "WINDOW": "a window function", "STAR": "*",
                    "LAMBDA": "a lambda", "PARAMETER": "a parameter", "COLUMNS": "COLUMNS(...)"}
SANDBOX_CONFIG = {"enable_external_access": False, "autoload_known_extensions": False,
          "autoinstall_known_extensions": False, "allow_community_extensions": False, "lock_configuration": True}


def sandboxed_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that cannot read or write files, load extensions or change that."""
    return duckdb.connect(config=dict(SANDBOX_CONFIG))


def checked_statement(when: str, con: duckdb.DuckDBPyConnection) -> str:
    """The SELECT that evaluates condition `when`; a ValueError says what in it is not allowed."""
    statement = STATEMENT + when
    try:
        if len(con.extract_statements(statement)) != 1:
            raise ValueError("a rule is one SQL condition; a second statement (after ';') is not allowed")
    except duckdb.ParserException as exc:
        raise ValueError(f"not a SQL condition: {str(exc).splitlines()[0]}") from exc
    node = _without_locations(_parse(statement, con)["statements"][0]["node"])
    if node["type"] != "SELECT_NODE":
        raise ValueError(f"{node.get('setop_type', node['type'])} (a second query) is not allowed")
    reference = _without_locations(_parse(STATEMENT + "true", con)["statements"][0]["node"])
    for key in sorted(set(node) | set(reference)):
        if key != "where_clause" and node.get(key) != reference.get(key):
            raise ValueError(f"{CLAUSES.get(key, key)} is not allowed; a rule is only a condition")
    problem = _forbidden(node["where_clause"])
    if problem:
        raise ValueError(f"{problem} is not allowed; a rule may use the customer columns, literals, operators "
                         "and plain functions (abs, round, least, lower, date_part, ...)")
    return statement


def _parse(statement: str, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return json.loads(con.execute("SELECT json_serialize_sql(?)", [statement]).fetchone()[0])


def _without_locations(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_locations(v) for k, v in value.items() if not k.startswith("query_location")}
    if isinstance(value, list):
        return [_without_locations(v) for v in value]
    return value


def _forbidden(value: Any) -> str | None:
    """The first construct in a parsed expression that a rule may not use, or None."""
    if isinstance(value, list):
        return next((p for p in map(_forbidden, value) if p), None)
    if not isinstance(value, dict):
        return None
    kind = value.get("class")
    if kind == "FUNCTION":
        name = str(value.get("function_name", "")).lower()
        if name not in SAFE_FUNCTIONS or value.get("schema") or value.get("catalog"):
            qualified = ".".join(p for p in (value.get("catalog"), value.get("schema"), value.get("function_name")) if p)
            return f"the function {qualified}()"
        if value.get("filter") or value.get("distinct") or value.get("order_bys", {}).get("orders"):
            return f"an aggregate modifier on {name}()"
    elif kind == "OPERATOR" and value.get("type") not in SAFE_OPERATORS:
        return f"the operator {str(value.get('type', '')).lower()}"
    elif kind == "COLUMN_REF" and value["column_names"][:-1] not in ([], [TABLE]):
        return f"the column reference {'.'.join(value['column_names'])} (only the customer table's columns)"
    elif kind is not None and kind not in PLAIN_EXPRESSIONS | {"FUNCTION", "OPERATOR", "COLUMN_REF"}:
        return EXPRESSION_NAMES.get(kind, f"a {kind.lower()} expression")
    return next((p for p in map(_forbidden, value.values()) if p), None)
