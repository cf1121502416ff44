"""Connections to the engines that run the feature pipeline: DuckDB in-process (the default,
out-of-core) or Apache Spark (`local[*]` for tests and single machines, a cluster URL in production).

Both are returned as Ibis backends, so one feature definition runs on either. Both engines work in
UTC: calendar features (day, month) are taken from UTC timestamps.
"""

from __future__ import annotations

import os
import sys
import uuid
from enum import StrEnum
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from features.settings import FeatureSettings



class Engine(StrEnum):
    """The engines one feature definition runs on: DuckDB in-process, or Apache Spark."""

    duckdb = "duckdb"
    spark = "spark"


ENGINES: tuple[str, ...] = tuple(Engine)


def check_engine(engine: str) -> Engine:
    """`engine` as an Engine; anything else is a ValueError naming the choices."""
    try:
        return Engine(engine)
    except ValueError:
        raise ValueError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}") from None


SPARK_LOCAL_MASTER = "local[*]"
SPARK_SHUFFLE_PARTITIONS = 4


def connect(
    engine: str = "duckdb",
    *,
    spark_master: str | None = None,
    memory_limit: str | None = None,
    shuffle_partitions: int | None = None,
) -> ibis.BaseBackend:
    """An Ibis backend for `engine` ("duckdb" or "spark").

    DuckDB: a fresh in-process database using every available core, with `memory_limit` (e.g. "6GB";
    DuckDB spills to disk beyond it). Spark: the process-wide SparkSession (created on first use with
    `spark_master`, default local[*]; `memory_limit` becomes the driver memory and only takes effect
    when the session is created; `shuffle_partitions` defaults to 4, right for test-sized data).
    """
    engine = check_engine(engine)
    if engine == "duckdb":
        if spark_master is not None or shuffle_partitions is not None:
            raise ValueError("spark_master and shuffle_partitions apply to engine='spark' only")
        return _connect_duckdb(memory_limit)
    session = spark_session(master=spark_master, driver_memory=memory_limit, shuffle_partitions=shuffle_partitions)
    return ibis.pyspark.connect(session)


def resolve_backend(engine: str, backend: ibis.BaseBackend | None) -> ibis.BaseBackend:
    """`backend` when the caller already holds one, else a new connection to `engine`."""
    if backend is None:
        return connect(engine)
    if not isinstance(backend, ibis.BaseBackend):
        raise TypeError(
            f"backend must be an Ibis backend from features.engine.connect(), got {type(backend).__name__}"
        )
    return backend


def parquet_source(path: str | os.PathLike[str], table_file: str | None = None,
                   command: str = "insight ingest") -> Path:
    """The Parquet file or directory of Parquet files at `path`, checked to exist and hold data.

    A directory holding the canonical `table_file` (default `transactions.parquet`) resolves to that
    file. A missing path or a directory without a `.parquet` file raises FileNotFoundError saying
    what to run (`command`); a file that is not readable Parquet (empty, truncated, a CSV under a
    `.parquet` name) or that repeats a column name raises ValueError naming the file.
    """
    from features.schema import TRANSACTIONS_FILE

    table_file = table_file or TRANSACTIONS_FILE
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"no Parquet data at '{source}': nothing is there; run `{command}` first")
    if source.is_dir() and (source / table_file).exists():
        source = source / table_file
    elif source.is_dir() and next(source.rglob("*.parquet"), None) is None:
        raise FileNotFoundError(
            f"no Parquet data at '{source}': the directory holds no .parquet file; run `{command}` "
            "first and pass its output directory"
        )
    for file in sorted(source.rglob("*.parquet")) if source.is_dir() else [source]:
        check_parquet_file(file, command)
    return source


def check_parquet_file(file: Path, command: str = "insight ingest") -> None:
    """Raise ValueError naming `file` when its footer cannot be read or it repeats a column name.

    Only the footer is read, so the check costs the same for any size of file."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(file).names
    except (OSError, pa.ArrowException) as exc:
        size = file.stat().st_size if file.is_file() else 0
        why = "the file is empty (0 bytes)" if size == 0 else str(exc).splitlines()[0]
        raise ValueError(f"{file}: cannot read as Parquet ({why}); pass the output of `{command}`") from None
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{file}: repeats the column name(s) {', '.join(repeated)}; pass the output of `{command}`")


def read_parquet(backend: ibis.BaseBackend, path: str | os.PathLike[str], table_file: str | None = None,
                 command: str = "insight ingest") -> ir.Table:
    """Register a Parquet file or a directory of Parquet files with `backend`, without loading it."""
    source = parquet_source(path, table_file, command)
    if source.is_dir() and backend.name == "duckdb":
        return backend.read_parquet(str(source / "**" / "*.parquet"))
    return backend.read_parquet(str(source))


def register_arrow(backend: ibis.BaseBackend, table: pa.Table) -> ir.Table:
    """`table` as a table of `backend`. Spark receives it through Arrow directly: the generic
    route through pandas mangles Arrow-backed string columns and nulls."""
    if backend.name != "pyspark":
        return ibis.memtable(table)
    name = f"customer_insight_{uuid.uuid4().hex}"
    spark_session().createDataFrame(table).createOrReplaceTempView(name)
    return backend.table(name)


def spark_session(
    *,
    master: str | None = None,
    driver_memory: str | None = None,
    shuffle_partitions: int | None = None,
):
    """The process-wide SparkSession, created on first call with UTC as session time zone.

    Later calls reuse it (a JVM holds one SparkContext); only the shuffle partition count can still
    be changed then, and a different `master` is an error rather than being silently ignored.
    Local Python workers run this interpreter unless PYSPARK_PYTHON says otherwise. The master is
    `master`, else the INSIGHT_SPARK_MASTER environment variable (a cluster URL), else local[*].
    """
    from pyspark.sql import SparkSession

    partitions = SPARK_SHUFFLE_PARTITIONS if shuffle_partitions is None else shuffle_partitions
    if partitions < 1:
        raise ValueError(f"shuffle_partitions must be at least 1, got {partitions}")
    master = master or FeatureSettings.from_env().spark_master
    session = SparkSession.getActiveSession()
    if session is None:
        builder = (
            SparkSession.builder.master(master or SPARK_LOCAL_MASTER)
            .appName("customer-insight-features")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if driver_memory is not None:
            builder = builder.config("spark.driver.memory", driver_memory)
        if (master or SPARK_LOCAL_MASTER).startswith("local"):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
    elif master is not None and session.sparkContext.master != master:
        raise ValueError(
            f"a Spark session on '{session.sparkContext.master}' is already running in this process; "
            f"stop it before connecting to '{master}'"
        )
    session.conf.set("spark.sql.shuffle.partitions", str(partitions))
    return session


def _connect_duckdb(memory_limit: str | None) -> ibis.BaseBackend:
    # Every result that needs an order is sorted explicitly (ORDER BY, or `to_frame` for
    # feature tables), so DuckDB need not keep scan order, which frees its parallel operators.
    # Its progress bar would write into batch logs and notebooks; the CLIs report progress themselves.
    config = {"threads": _available_cores(), "preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    backend = ibis.duckdb.connect(**config)
    backend.con.execute("SET enable_progress_bar = false")
    return backend


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
