"""Scoring on Spark: the champion models applied to a Spark DataFrame with `mapInPandas`.

The models travel to the executors inside the function's closure; each executor calls the same
`training.predict.score` as the DuckDB path, so both engines give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from features.engine import spark_session
from training.job import CustomerModels
from training.predict import score, scorable

DATE_COLUMN = "expected_next_purchase_date"


def score_on_spark(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """Score `frame` (a scoring frame) on the Spark session; rows come back sorted by customer_id."""
    if frame.empty:
        return score(models, frame)
    spark = spark_session()
    sample = frame[scorable(frame)].head(1) if scorable(frame).any() else frame.head(1)
    schema = spark.createDataFrame(_portable(score(models, sample))).schema

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield _portable(score(models, batch))

    partitions = max(1, spark.sparkContext.defaultParallelism)
    scored = spark.createDataFrame(frame).repartition(partitions).mapInPandas(score_batches, schema).toPandas()
    scored[DATE_COLUMN] = pd.to_datetime(scored[DATE_COLUMN]).dt.date
    return scored.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _portable(scores: pd.DataFrame) -> pd.DataFrame:
    """Calendar dates as ISO strings: Arrow would otherwise guess a timestamp type for them."""
    return scores.assign(**{DATE_COLUMN: scores[DATE_COLUMN].astype(str)})
