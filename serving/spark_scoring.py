"""Scoring on Spark: the champion models applied to a Spark DataFrame with `mapInPandas`.

The models travel to the executors inside the function's closure; each executor calls the same
`training.predict.score_frame` as the DuckDB path, so both engines give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from features.engine import spark_session
from training.job import CustomerModels
from training.predict import score_frame, scorable

DATE_COLUMN = "expected_next_purchase_date"


def score_on_spark(models: CustomerModels, frame: pd.DataFrame) -> pd.DataFrame:
    """Score `frame` (a scoring frame) on the Spark session; rows come back sorted by customer_id."""
    if frame.empty:
        return score_frame(models, frame)
    spark = spark_session()
    rows = scorable(frame)
    sample = score_frame(models, frame[rows].head(1) if rows.any() else frame.head(1))
    schema = spark.createDataFrame(_portable(sample)).schema

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield _portable(score_frame(models, batch))

    partitions = max(1, spark.sparkContext.defaultParallelism)
    scored = spark.createDataFrame(frame).repartition(partitions).mapInPandas(score_batches, schema).toPandas()
    scored = _restored(scored, sample.dtypes)
    return scored.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _portable(scores: pd.DataFrame) -> pd.DataFrame:
    """Calendar dates as ISO strings ('' for none): Arrow would otherwise guess a timestamp type."""
    dates = [d.isoformat() if isinstance(d, dt.date) else "" for d in scores[DATE_COLUMN]]
    return scores.assign(**{DATE_COLUMN: dates})


def _restored(scored: pd.DataFrame, dtypes: pd.Series) -> pd.DataFrame:
    """Spark's rows in the pandas types `score_frame` gives (dates, nullable flags, string ids), so both
    engines write the same file."""
    dates = pd.Series([dt.date.fromisoformat(d) if d else None for d in scored[DATE_COLUMN]],
                      index=scored.index, dtype=object)
    typed = scored.astype({column: dtype for column, dtype in dtypes.items() if column != DATE_COLUMN})
    return typed.assign(**{DATE_COLUMN: dates})
