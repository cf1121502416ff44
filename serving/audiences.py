"""Campaign audiences from batch scores: readable rules in a TOML file, resolved by priority.

Each audience is a SQL condition over one row per customer (scores joined to that cutoff's
feature snapshot, plus a few derived columns), checked and run by `serving.rule_sandbox`: an
expression over that table only, never a query or a file. A customer eligible for several audiences goes to
the first one in file order and is listed as also eligible for the rest, so campaigns never
contact the same customer twice for one run. Each audience names its channel, and a customer
who withdrew consent for it (an unsubscribe, or a bounce for email: see the engagement features)
is never in it. The packaged rules are `serving/audiences.toml`.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from features.atomic import atomic_directory
from features.pipeline import ENGAGEMENT_COLUMNS
from serving.rule_sandbox import checked_statement, sandboxed_connection

DEFAULT_RULES = "audiences.toml"
LIST_COLUMNS = ("customer_id", "segment_name", "churn_probability", "predicted_clv", "p_purchase_90d")
SCORE_COLUMNS = (*LIST_COLUMNS, "as_of")
CHANNELS = ("email", "sms", "push", "web", "app", "store", "phone", "any", "none")
NO_CONSENT: dict[str, str] = {
    "email": "consent_email = 0 OR email_bounced = 1",
    "sms": "consent_sms = 0",
    "push": "consent_push = 0",
}
"""Who a channel may not reach: unsubscribed (and, for email, bounced) customers. Customers
without events on a channel have NULL consent and are not excluded by these conditions."""


class AudienceRule(BaseModel):
    """One campaign list: a name, what it is for, and the SQL condition that selects it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    when: str = Field(min_length=1)
    control_share: float = Field(0.1, gt=0, lt=1)
    channel: str = Field("any", description="How the audience is reached; consent is checked for email, sms, push.")

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, got '{value}'")
        return value

    @field_validator("when")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


class AudienceRules(BaseModel):
    """Audiences in priority order (first match wins)."""

    model_config = ConfigDict(extra="forbid")
    min_control_size: int = Field(100, ge=1)
    audience: list[AudienceRule] = Field(min_length=1)

    @field_validator("audience")
    @classmethod
    def _unique_names(cls, rules: list[AudienceRule]) -> list[AudienceRule]:
        names = [rule.name for rule in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"audience names must be unique; repeated: {', '.join(duplicates)}")
        return rules


@dataclass(frozen=True)
class Audiences:
    """Who goes where: one row per customer placed in an audience, and per-audience counts."""

    assignments: pd.DataFrame
    counts: pd.DataFrame
    rules: AudienceRules


def load_rules(path: str | os.PathLike[str] | None = None) -> AudienceRules:
    """The rules file at `path`, or the packaged default; errors name the file and the field."""
    if path is None:
        text, origin = resources.files("serving").joinpath(DEFAULT_RULES).read_text(), "packaged audiences.toml"
    else:
        try:
            text, origin = Path(path).read_text(), str(path)
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the audience rules ({exc.strerror})") from exc
    try:
        rules = AudienceRules.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{origin}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{origin}: {where}: {first['msg']}") from exc
    con = sandboxed_connection()
    try:
        for rule in rules.audience:
            try:
                checked_statement(rule.when, con)
            except ValueError as exc:
                raise ValueError(f"{origin}: audience '{rule.name}': {exc}") from exc
    finally:
        con.close()
    return rules


def require_scores(scores: pd.DataFrame, source: str | os.PathLike[str]) -> None:
    """Raise a ValueError naming the columns of `insight score`'s output that `scores` lacks."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"{source}: lacks the score column(s) {', '.join(missing)}; "
                         "give --scores a file written by `insight score`")


def customer_table(scores: pd.DataFrame, features: pd.DataFrame | None) -> pd.DataFrame:
    """Scores joined to the feature snapshot, with the derived columns the rules may use."""
    require_scores(scores, "the scores")
    table = scores.copy()
    if features is not None:
        extra = features.reset_index() if "customer_id" not in features.columns else features
        extra = extra[[c for c in extra.columns if c == "customer_id" or c not in table.columns]]
        table = table.merge(extra, on="customer_id", how="left", validate="one_to_one")
    table["clv_percentile"] = _percentile(table["predicted_clv"])
    if "spend_total" in table:
        table["past_value_percentile"] = _percentile(table["spend_total"])
    if {"spend_90d", "spend_trend_90d"} <= set(table.columns):
        table["spend_prev_90d"] = table["spend_90d"] - table["spend_trend_90d"]
    table["as_of_month"] = pd.to_datetime(table["as_of"]).dt.month
    for name in ENGAGEMENT_COLUMNS:
        values = table[name] if name in table.columns else pd.Series(float("nan"), index=table.index)
        table[name] = pd.to_numeric(values).astype("Float64").mask(values.isna())
    return table


def assign(table: pd.DataFrame, rules: AudienceRules) -> Audiences:
    """Evaluate every rule in the sandbox, then place each customer in its highest-priority audience."""
    con = sandboxed_connection()
    con.register("customers", table)
    eligible, unreachable = {}, {}
    try:
        for rule in rules.audience:
            try:
                ids = con.execute(checked_statement(rule.when, con)).df()["customer_id"]
                blocked = (con.execute(checked_statement(NO_CONSENT[rule.channel], con)).df()["customer_id"]
                           if rule.channel in NO_CONSENT else pd.Series(dtype=str))
            except ValueError as exc:
                raise ValueError(f"audience '{rule.name}': {exc}") from exc
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0]
                raise ValueError(f"audience '{rule.name}': its condition cannot be evaluated: {message}") from exc
            unreachable[rule.name] = set(ids.astype(str)) & set(blocked.astype(str))
            eligible[rule.name] = set(ids.astype(str)) - unreachable[rule.name]
    finally:
        con.close()

    rows, placed = [], set()
    for rule in rules.audience:
        for customer in sorted(eligible[rule.name] - placed):
            also = [r.name for r in rules.audience if r.name != rule.name and customer in eligible[r.name]]
            rows.append((customer, rule.name, ",".join(also)))
        placed |= eligible[rule.name]
    assignments = pd.DataFrame(rows, columns=["customer_id", "audience", "also_eligible_for"])
    counts = pd.DataFrame({
        "priority": range(1, len(rules.audience) + 1),
        "audience": [r.name for r in rules.audience],
        "customers": [int((assignments["audience"] == r.name).sum()) for r in rules.audience],
        "eligible": [len(eligible[r.name]) for r in rules.audience],
        "without_consent": [len(unreachable[r.name]) for r in rules.audience],
        "channel": [r.channel for r in rules.audience],
        "rule": [r.when for r in rules.audience],
        "control_share": [r.control_share for r in rules.audience],
    })
    return Audiences(assignments, counts, rules)


def write_audiences(audiences: Audiences, table: pd.DataFrame, out: str | os.PathLike[str]) -> Path:
    """One CSV per audience, all assignments as Parquet and a summary JSON, published atomically."""
    columns = [c for c in LIST_COLUMNS if c in table.columns]
    details = table[columns].assign(customer_id=table["customer_id"].astype(str))
    with atomic_directory(out) as tmp:
        for rule in audiences.rules.audience:
            members = audiences.assignments[audiences.assignments["audience"] == rule.name]
            members.merge(details, on="customer_id", how="left").to_csv(tmp / f"{rule.name}.csv", index=False)
        audiences.assignments.to_parquet(tmp / "assignments.parquet", index=False)
        summary = {
            "customers_scored": len(table),
            "customers_in_an_audience": len(audiences.assignments),
            "audiences": audiences.counts.to_dict(orient="records"),
            "descriptions": {r.name: r.description for r in audiences.rules.audience},
            "min_control_size": audiences.rules.min_control_size,
            **_cutoff_and_models(table),
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
    return Path(out)


def _cutoff_and_models(table: pd.DataFrame) -> dict:
    """The scores' cutoff and model versions, which a campaign made from these lists records."""
    found = {}
    for column in ("as_of", "model_versions"):
        values = table[column].dropna().astype(str).unique() if column in table else []
        if len(values) == 1:
            found[column] = json.loads(values[0]) if column == "model_versions" else values[0][:10]
    return found


def _percentile(values: pd.Series) -> pd.Series:
    """Percent rank in (0, 1]: 1.0 for the highest value; ties share the lowest rank of their group,
    so a mass of equal values (zero predicted CLV, say) never reaches into the top."""
    return values.rank(method="min", na_option="keep").div(max(values.notna().sum(), 1))
