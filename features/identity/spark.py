"""A Spark session that can run splink's comparisons (its Jaro-Winkler and other similarity UDFs)."""

from __future__ import annotations

from typing import Any

SIMILARITY_UDFS_PROBE = "jaro_winkler"


def linkage_spark_session(spark: Any = None) -> Any:
    """`spark` (else the project's session, see features.engine.spark_session) with splink's
    similarity jar added, so splink can register its UDFs on a session that already exists."""
    from splink.backends.spark import similarity_jar_location

    from features.engine import spark_session

    session = spark if spark is not None else spark_session()
    jar = similarity_jar_location()
    loaded = {row[0] for row in session.sql("LIST JARS").collect()}
    if not any(path.endswith(jar.rsplit("/", 1)[-1]) for path in loaded):
        session.sql(f"ADD JAR '{jar}'")
    return session
