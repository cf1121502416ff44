"""Clusters and stable customer ids: reruns, new records, merges, splits, never reusing an id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.identity.clusters import IdHistory, assign_ids, cluster_labels, format_id, id_number

RUN_1 = pd.Timestamp("2026-01-01", tz="UTC")
RUN_2 = pd.Timestamp("2026-02-01", tz="UTC")


def keys(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"source": [i.split(":")[0] for i in ids],
                         "source_customer_id": [i.split(":")[1] for i in ids]})


def history_from(keys_frame: pd.DataFrame, assignment) -> IdHistory:
    id_map = keys_frame.assign(customer_id=assignment.customer_ids)
    return IdHistory(id_map, assignment.merges, assignment.last_issued)


def test_connected_components_join_chains_of_pairs() -> None:
    labels = cluster_labels(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels[0] == labels[1] == labels[2]
    assert labels[4] == labels[5]
    assert len({labels[0], labels[3], labels[4]}) == 3
    with pytest.raises(ValueError, match="outside 0..5"):
        cluster_labels(6, np.array([0]), np.array([6]))


def test_first_run_numbers_clusters_by_their_smallest_source_key_whatever_the_row_order() -> None:
    frame = keys("web:2", "app:9", "web:1", "store:5")
    a = assign_ids(frame, np.array([0, 1, 0, 2]), IdHistory.empty(), run_at=RUN_1)
    assert a.customer_ids.tolist() == ["C000000003", "C000000001", "C000000003", "C000000002"]
    shuffled = frame.iloc[[3, 1, 0, 2]].reset_index(drop=True)
    b = assign_ids(shuffled, np.array([7, 3, 5, 5]), IdHistory.empty(), run_at=RUN_1)
    assert dict(zip(shuffled["source_customer_id"], b.customer_ids, strict=True)) == dict(
        zip(frame["source_customer_id"], a.customer_ids, strict=True))


def test_rerun_on_the_same_data_keeps_every_id() -> None:
    frame = keys("web:1", "app:1", "store:1", "web:2")
    first = assign_ids(frame, np.array([0, 0, 1, 2]), IdHistory.empty(), run_at=RUN_1)
    again = assign_ids(frame, np.array([2, 2, 0, 1]), history_from(frame, first), run_at=RUN_2)
    assert again.customer_ids.tolist() == first.customer_ids.tolist()
    assert (again.new_ids, again.kept_ids, again.merged_ids, again.moved_records) == (0, 3, 0, 0)
    assert again.last_issued == first.last_issued == 3


def test_new_records_join_known_customers_or_get_new_ids_after_the_last_issued() -> None:
    frame = keys("web:1", "app:1", "store:1")
    first = assign_ids(frame, np.array([0, 0, 1]), IdHistory.empty(), run_at=RUN_1)
    grown = keys("web:1", "app:1", "store:1", "loyalty:1", "aaa:0")
    second = assign_ids(grown, np.array([0, 0, 1, 1, 2]), history_from(frame, first), run_at=RUN_2)
    assert second.customer_ids.tolist()[:4] == [first.customer_ids[0]] * 2 + [first.customer_ids[2]] * 2
    assert second.customer_ids[4] == format_id(3)
    assert (second.new_ids, second.kept_ids, second.merged_ids) == (1, 2, 0)


def test_when_two_known_customers_merge_the_older_id_survives_and_the_merge_is_logged() -> None:
    frame = keys("web:1", "app:1", "store:1")
    first = assign_ids(frame, np.array([0, 1, 2]), IdHistory.empty(), run_at=RUN_1)
    older, newer = sorted([first.customer_ids[0], first.customer_ids[2]])
    second = assign_ids(frame, np.array([0, 1, 0]), history_from(frame, first), run_at=RUN_2)
    assert second.customer_ids[0] == second.customer_ids[2] == older
    assert second.merges[["merged_id", "into_id", "records"]].to_dict("records") == [
        {"merged_id": newer, "into_id": older, "records": 1}]
    assert second.merges["merged_at"].tolist() == [RUN_2]
    third = assign_ids(keys("web:1", "app:1", "store:1", "zzz:1"), np.array([0, 1, 0, 3]),
                       history_from(frame, second), run_at=RUN_2)
    assert third.customer_ids[3] == format_id(4), "the merged id is never issued again"
    assert len(third.merges) == 1


def test_a_split_cluster_keeps_its_id_where_most_records_are_and_the_rest_get_a_new_one() -> None:
    frame = keys("web:1", "app:1", "store:1")
    first = assign_ids(frame, np.array([0, 0, 0]), IdHistory.empty(), run_at=RUN_1)
    second = assign_ids(frame, np.array([0, 0, 1]), history_from(frame, first), run_at=RUN_2)
    assert second.customer_ids[0] == second.customer_ids[1] == first.customer_ids[0]
    assert second.customer_ids[2] == format_id(2)
    assert second.moved_records == 1


def test_ids_are_never_reused_even_when_their_records_disappear() -> None:
    frame = keys("web:1", "web:2")
    first = assign_ids(frame, np.array([0, 1]), IdHistory.empty(), run_at=RUN_1)
    history = IdHistory(frame.assign(customer_id=first.customer_ids).iloc[:1], first.merges, first.last_issued)
    second = assign_ids(keys("web:1", "web:3"), np.array([0, 1]), history, run_at=RUN_2)
    assert second.customer_ids.tolist() == [format_id(1), format_id(3)]


def test_id_numbers_reject_foreign_ids_and_history_rejects_ambiguous_maps() -> None:
    assert id_number(pd.Series(["C000000042"])).tolist() == [42]
    with pytest.raises(ValueError, match="'X17' is not of the form C000000001"):
        id_number(pd.Series(["C000000001", "X17"]))
    twice = keys("web:1", "web:1").assign(customer_id=["C000000001", "C000000002"])
    with pytest.raises(ValueError, match=r"lists \(web, 1\) twice"):
        IdHistory(twice, IdHistory.empty().merges, 0)
