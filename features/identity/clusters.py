"""Matched pairs -> clusters (connected components) -> stable customer ids with a merge log.

Ids look like "C000000042" and are issued in increasing order, never twice. A rerun keeps every id
whose records are still there: a cluster holding records of one earlier customer keeps that id; a
cluster joining records of several earlier customers keeps the oldest (lowest) id and the others
are logged as merged into it; a cluster with no earlier records gets a new id. When an earlier
customer's records end up in several clusters, the cluster holding most of them keeps the id.
New ids go to clusters in order of their smallest (source, source_customer_id), so a run on the
same data without history gives the same ids too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from features.ingest.id_map import ID_MAP_COLUMNS, KEY_COLUMNS

ID_PREFIX = "C"
ID_DIGITS = 9
MERGE_COLUMNS: tuple[str, ...] = ("merged_id", "into_id", "records", "merged_at")


def cluster_labels(n_records: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label (0..k-1) per record, given linked pairs of record positions."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    if len(left) != len(right):
        raise ValueError(f"pair ends differ in length: {len(left)} left, {len(right)} right")
    if len(left) and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= n_records):
        raise ValueError(f"pairs refer to records outside 0..{n_records - 1}")
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n_records, n_records))
    _, labels = connected_components(graph, directed=False)
    return labels


def format_id(number: int) -> str:
    """The customer id with this issue number: 42 -> "C000000042"."""
    return f"{ID_PREFIX}{number:0{ID_DIGITS}d}"


def id_number(customer_ids: pd.Series) -> pd.Series:
    """Issue numbers of customer ids; raises ValueError naming the first id not shaped like one."""
    text = customer_ids.astype("string")
    shaped = text.str.fullmatch(rf"{ID_PREFIX}\d{{{ID_DIGITS}}}").fillna(False).astype(bool)
    if not shaped.all():
        bad = text[~shaped].iloc[0]
        raise ValueError(f"customer id '{bad}' is not of the form {format_id(1)}; was the id map "
                         f"written by `insight resolve`?")
    return text.str.slice(len(ID_PREFIX)).astype("int64")


@dataclass(frozen=True)
class IdHistory:
    """What earlier runs issued: their id map, their merge log and the last id number issued."""

    id_map: pd.DataFrame
    merges: pd.DataFrame
    last_issued: int

    @classmethod
    def empty(cls) -> IdHistory:
        return cls(
            pd.DataFrame({c: pd.Series(dtype="string") for c in ID_MAP_COLUMNS}),
            empty_merges(),
            0,
        )

    def __post_init__(self) -> None:
        missing = [c for c in ID_MAP_COLUMNS if c not in self.id_map.columns]
        if missing:
            raise ValueError(f"earlier id map lacks column '{missing[0]}'")
        duplicated = self.id_map.duplicated(list(KEY_COLUMNS))
        if duplicated.any():
            row = self.id_map[duplicated].iloc[0]
            raise ValueError(f"earlier id map lists ({row['source']}, {row['source_customer_id']}) "
                             f"twice; it must map each source record to one customer")
        issued = pd.concat([self.id_map["customer_id"], self.merges["merged_id"], self.merges["into_id"]])
        highest = int(id_number(issued.dropna()).max()) if issued.notna().any() else 0
        if highest > self.last_issued:
            object.__setattr__(self, "last_issued", highest)


@dataclass(frozen=True)
class IdAssignment:
    """A customer id per record, the merge log (earlier entries first) and what changed."""

    customer_ids: pd.Series
    merges: pd.DataFrame
    last_issued: int
    new_ids: int
    kept_ids: int
    merged_ids: int
    moved_records: int


def empty_merges() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "merged_id": pd.Series(dtype="string"),
            "into_id": pd.Series(dtype="string"),
            "records": pd.Series(dtype="int64"),
            "merged_at": pd.Series(dtype="datetime64[us, UTC]"),
        }
    )


def assign_ids(keys: pd.DataFrame, labels: np.ndarray, history: IdHistory,
               *, run_at: pd.Timestamp) -> IdAssignment:
    """Customer ids for records `keys` (source, source_customer_id) clustered as `labels`."""
    if len(keys) != len(labels):
        raise ValueError(f"{len(keys)} records but {len(labels)} cluster labels")
    frame = keys[list(KEY_COLUMNS)].astype("string").reset_index(drop=True)
    frame["cluster"] = np.asarray(labels, dtype=np.int64)
    frame["order_key"] = frame["source"] + "\x1f" + frame["source_customer_id"]
    cluster_rank = frame.groupby("cluster")["order_key"].min().rank(method="first").astype("int64")
    frame["rank"] = frame["cluster"].map(cluster_rank)
    earlier = history.id_map[list(ID_MAP_COLUMNS)].astype("string")
    frame = frame.merge(earlier, on=list(KEY_COLUMNS), how="left", validate="many_to_one")

    known = frame.dropna(subset=["customer_id"])
    counts = known.groupby(["customer_id", "cluster", "rank"]).size().rename("n").reset_index()
    homes = counts.sort_values(["customer_id", "n", "rank"], ascending=[True, False, True])
    homes = homes.drop_duplicates("customer_id").assign(number=lambda d: id_number(d["customer_id"]))
    homes = homes.sort_values(["cluster", "number"])
    survivors = homes.drop_duplicates("cluster")
    merged = homes[homes.duplicated("cluster")].merge(
        survivors[["cluster", "customer_id"]].rename(columns={"customer_id": "into_id"}), on="cluster"
    )

    new_clusters = cluster_rank[~cluster_rank.index.isin(survivors["cluster"])].sort_values()
    new_numbers = history.last_issued + np.arange(1, len(new_clusters) + 1)
    ids = pd.concat([
        pd.Series(survivors["customer_id"].to_numpy(), index=survivors["cluster"].to_numpy()),
        pd.Series([format_id(int(n)) for n in new_numbers], index=new_clusters.index.to_numpy()),
    ])
    customer_ids = frame["cluster"].map(ids).astype("string")

    changed = known["customer_id"].to_numpy() != customer_ids[known.index].to_numpy()
    moved = int((changed & ~known["customer_id"].isin(merged["customer_id"]).to_numpy()).sum())
    records_per_earlier = known.groupby("customer_id").size()
    new_merges = pd.DataFrame(
        {
            "merged_id": merged["customer_id"].astype("string").to_numpy(),
            "into_id": merged["into_id"].astype("string").to_numpy(),
            "records": merged["customer_id"].map(records_per_earlier).astype("int64").to_numpy(),
            "merged_at": pd.Series([run_at] * len(merged), dtype="datetime64[us, UTC]").to_numpy(),
        }
    )
    log = pd.concat([history.merges, new_merges], ignore_index=True) if len(history.merges) else new_merges
    return IdAssignment(
        customer_ids=pd.Series(customer_ids.to_numpy(), index=keys.index, dtype="string"),
        merges=log.astype({"merged_id": "string", "into_id": "string", "records": "int64"}),
        last_issued=int(new_numbers[-1]) if len(new_numbers) else history.last_issued,
        new_ids=len(new_clusters),
        kept_ids=len(survivors),
        merged_ids=len(merged),
        moved_records=moved,
    )
