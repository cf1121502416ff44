"""Probabilistic record linkage with splink: one Fellegi-Sunter model definition, DuckDB or Spark.

Fellegi & Sunter (1969), "A theory for record linkage", JASA 64(328). Each compared pair gets a
match weight: the sum over fields of log2(m/u), where m is the chance a field agrees this way for
the same person and u for two different people, plus the prior log-odds of a match. Here u is
estimated by random sampling, m by expectation maximisation on blocked pairs, and the prior from
exact-email/phone agreement (splink's estimators), so nothing is hand-set. Blocking rules keep the
compared pairs to a few per record; names get term-frequency adjustment, so agreeing on a common
name ("Nguyen Van Anh") counts for less than agreeing on a rare one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from features.engine import Engine, check_engine

LINKAGE_COLUMNS: tuple[str, ...] = (
    "unique_id", "name_key", "name_tokens", "email_key", "phone", "date_of_birth", "address_key",
    "city_key", "postcode", "loyalty_card",
)
U_SAMPLE_PAIRS = 5e6
EM_BLOCKING_COLUMNS = ("phone", "email_key")

PREDICTION_BLOCKING_RULES = (
    block_on("email_key"),
    block_on("phone"),
    block_on("loyalty_card"),
    block_on("name_key", "date_of_birth"),
    block_on("name_key", "substr(phone, 1, 8)"),
    block_on("substr(name_key, 1, 1)", "substr(phone, 7, 12)"),
    block_on("address_key"),
    block_on("name_key", "city_key"),
)


def _name_comparison() -> cl.CustomComparison:
    """Word-order-free name comparison: same words, a typo apart, or one name inside the other.

    There is deliberately no "roughly similar" level: relatives share family and middle names
    ("Nguyen Van Minh" ~ "Nguyen Van Duc"), so anything looser than one typo counts as different.
    """
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_key"),
            cll.ExactMatchLevel("name_key", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("name_key", 0.95),
            cll.ArraySubsetLevel("name_tokens"),
            cll.ElseLevel(),
        ],
    )


def _location_comparison() -> cl.CustomComparison:
    """Address, postcode and city as one comparison: they are not independent evidence."""
    return cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.And(cll.NullLevel("address_key"), cll.NullLevel("city_key")),
            cll.ExactMatchLevel("address_key"),
            cll.JaroWinklerLevel("address_key", 0.9),
            cll.ExactMatchLevel("postcode"),
            cll.ExactMatchLevel("city_key"),
            cll.ElseLevel(),
        ],
    )


def model_settings(*, probability_two_random_records_match: float = 1e-5) -> SettingsCreator:
    """The one model definition both engines run (splink translates the SQL per dialect)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=[
            _name_comparison(),
            cl.JaroWinklerAtThresholds("email_key", [0.92]),
            cl.JaroWinklerAtThresholds("phone", [0.95]),
            cl.LevenshteinAtThresholds("date_of_birth", [1]),
            _location_comparison(),
            cl.ExactMatch("loyalty_card"),
        ],
        blocking_rules_to_generate_predictions=list(PREDICTION_BLOCKING_RULES),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
    )


def trained_settings(model: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """The model definition written for `engine`'s SQL dialect, with the trained prior and m/u
    probabilities of `model` (saved by a run on either engine) copied in level by level."""
    settings = model_settings().create_settings_dict(engine)
    trained = model.get("comparisons", [])
    shape = [len(c["comparison_levels"]) for c in settings["comparisons"]]
    if [len(c.get("comparison_levels", [])) for c in trained] != shape:
        raise ValueError("the saved model does not fit this version's comparisons; "
                         "run without a saved model to train a new one")
    settings["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    for comparison, saved in zip(settings["comparisons"], trained, strict=True):
        for level, saved_level in zip(comparison["comparison_levels"], saved["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability", "tf_minimum_u_value"):
                if key in saved_level:
                    level[key] = saved_level[key]
    return settings


@dataclass(frozen=True)
class ScoredPairs:
    """Compared pairs at or above the floor probability, and the trained model for audit."""

    pairs: pd.DataFrame
    model: dict[str, Any]


def score_pairs(frame: pd.DataFrame, *, engine: Engine = "duckdb", spark: Any = None, seed: int = 42,
                min_probability: float = 0.5, model: dict[str, Any] | None = None) -> ScoredPairs:
    """Train the model on `frame` (normalised records with an integer `unique_id`) and score pairs.

    Returns unique_id_l < unique_id_r, match_weight, match_probability, `blocking_rule` (the
    first prediction blocking rule that generated the pair) and the weight each field contributed
    (mw_name, mw_phone, ...) for pairs with probability at least `min_probability`. `spark` is
    an existing SparkSession for engine="spark" (else the project's local one). A `model` saved
    by an earlier run (ScoredPairs.model) is used as it is instead of training a new one.
    """
    engine = check_engine(engine)
    db_api = _database(engine, spark)
    name = f"__identity_records_{uuid.uuid4().hex[:8]}"
    table = db_api.register(_linkage_table(frame), table_name=name)
    if model is not None:
        linker = Linker(table, trained_settings(model, engine), log_level=logging.WARNING)
        return _predict(linker, min_probability)
    linker = Linker(table, model_settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email_key"), block_on("phone"), block_on("loyalty_card")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    trained = [column for column in EM_BLOCKING_COLUMNS if _train_m(linker, column)]
    if not trained:
        raise ValueError("no two records share a phone or an email, so the model cannot learn what a "
                         "match looks like; resolve more records together or reuse a saved model.json")
    return _predict(linker, min_probability)


def _train_m(linker: Linker, column: str) -> bool:
    """One expectation-maximisation session on pairs sharing `column`; False when there are none."""
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(column), estimate_without_term_frequencies=True
        )
    except EMTrainingException:
        return False
    return True


def _predict(linker: Linker, min_probability: float) -> ScoredPairs:
    predictions = linker.inference.predict(threshold_match_probability=min_probability,
                                           warning_mode="never")
    pairs = _pairs_frame(predictions.as_pandas_dataframe())
    return ScoredPairs(pairs, linker.misc.save_model_to_json())


def _database(engine: Engine, spark: Any):
    if engine == "duckdb":
        return DuckDBAPI()
    from splink.backends.spark import SparkAPI

    from features.identity.spark import linkage_spark_session

    return SparkAPI(spark_session=linkage_spark_session(spark), num_partitions_on_repartition=8,
                    break_lineage_method="persist")


def _linkage_table(frame: pd.DataFrame) -> pa.Table:
    missing = [c for c in LINKAGE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"normalised records lack column '{missing[0]}'; build them with "
                         f"normalize.normalize_records and add an integer unique_id")
    return pa.Table.from_pandas(frame[list(LINKAGE_COLUMNS)], preserve_index=False)


def _pairs_frame(predictions: pd.DataFrame) -> pd.DataFrame:
    rules = [rule.create_blocking_rule_dict("duckdb")["blocking_rule"] for rule in PREDICTION_BLOCKING_RULES]
    left = predictions["unique_id_l"].astype("int64")
    right = predictions["unique_id_r"].astype("int64")
    field_weights = [c for c in predictions.columns if c.startswith("mw_")]
    out = pd.DataFrame(
        {
            "unique_id_l": left.where(left < right, right),
            "unique_id_r": right.where(left < right, left),
            "match_weight": predictions["match_weight"].astype("float64"),
            "match_probability": predictions["match_probability"].astype("float64"),
            "blocking_rule": predictions["match_key"].astype("int64").map(dict(enumerate(rules))),
        }
    )
    for column in field_weights:
        out[column] = predictions[column].astype("float64")
    return out.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)
