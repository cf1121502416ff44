"""Deterministic rules: shared email, phone or card links records unless names or birth dates conflict."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.identity.normalize import normalize_records
from features.identity.records import to_record_frame
from features.identity.rules import deterministic_pairs, names_agree, one_edit_apart


def linked(rows: list[dict[str, str | None]]) -> set[tuple[int, int, str]]:
    frame = pd.DataFrame(rows)
    frame["source"] = "web"
    frame["source_customer_id"] = [str(i) for i in range(len(frame))]
    normalized = normalize_records(to_record_frame(frame), today=date(2026, 1, 1))
    normalized["unique_id"] = np.arange(len(normalized))
    pairs = deterministic_pairs(normalized)
    return set(zip(pairs["unique_id_l"], pairs["unique_id_r"], pairs["rule"], strict=True))


def test_same_email_phone_or_card_links_with_the_first_rule_named() -> None:
    pairs = linked([
        {"full_name": "Nguyễn Thị Lan", "email": "lan.nguyen@gmail.com", "phone": "0912 345 678"},
        {"full_name": "Nguyen Thi Lan", "email": "LanNguyen@gmail.com", "phone": "+84 912 345 678"},
        {"full_name": "Lan Nguyen", "phone": "84912345678"},
        {"full_name": "Tran Van Nam", "loyalty_card": "LC-1234-5678-90"},
        {"full_name": "TRẦN VĂN NAM", "loyalty_card": "lc 1234 5678 90"},
    ])
    assert pairs == {(0, 1, "same_email"), (0, 2, "same_phone"), (1, 2, "same_phone"),
                     (3, 4, "same_loyalty_card")}


def test_a_household_sharing_a_phone_is_not_merged_by_the_phone_rule() -> None:
    pairs = linked([
        {"full_name": "Nguyen Van Minh", "phone": "0912 345 678"},
        {"full_name": "Nguyen Thi Lan", "phone": "0912 345 678"},
        {"full_name": None, "phone": "0912 345 678"},
    ])
    assert pairs == set()


def test_an_unnamed_record_joins_a_value_nobody_else_shares() -> None:
    pairs = linked([
        {"full_name": "Nguyen Van Minh", "phone": "0912 345 678"},
        {"full_name": None, "phone": "0912.345.678"},
    ])
    assert pairs == {(0, 1, "same_phone")}


def test_names_with_one_typo_agree_but_different_given_names_do_not() -> None:
    pairs = linked([
        {"full_name": "Nguyen Thu Huong", "phone": "0865 657 214"},
        {"full_name": "Ngueyn Thu Huong", "phone": "0865657214"},
        {"full_name": "Nguyen Thu Hanh", "phone": "0865657214"},
    ])
    assert pairs == {(0, 1, "same_phone")}


def test_conflicting_birth_dates_block_a_rule_link() -> None:
    pairs = linked([
        {"full_name": "Le Van Anh", "email": "anh@gmail.com", "date_of_birth": "1980-01-02"},
        {"full_name": "Le Van Anh", "email": "anh@gmail.com", "date_of_birth": "02/01/2004"},
        {"full_name": "Le Van Anh", "email": "anh@gmail.com", "date_of_birth": "02/01/1980"},
    ])
    assert pairs == {(0, 2, "same_email")}


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("nguyen", "ngueyn", True), ("nguyen", "nguyn", True), ("nguyen", "nguyenn", True),
    ("lan", "lan", True), ("anh", "minh", False), ("lan", "hanh", False), ("ab", "ba", True),
])
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected
    assert one_edit_apart(b, a) is expected


def test_names_agree_on_subsets_but_not_on_missing_names() -> None:
    left = pd.Series(["lan nguyen thi", "lan nguyen", None, "anh nguyen van"], dtype="string")
    right = pd.Series(["lan nguyen", "lan nguyen thi", "lan nguyen", "duc nguyen van"], dtype="string")
    assert names_agree(left, right).tolist() == [True, True, False, False]


def test_the_model_links_at_the_threshold_only_when_names_agree_and_rules_keep_their_name() -> None:
    from features.identity.resolve import link_pairs

    scored = pd.DataFrame({"unique_id_l": [0, 1, 2, 3], "unique_id_r": [1, 2, 3, 4],
                           "match_weight": [9.0, 9.0, 0.0, 4.0], "match_probability": [0.99, 0.99, 0.5, 0.94],
                           "mw_name": [1.5, -2.0, 3.0, 2.0]})
    ruled = pd.DataFrame({"unique_id_l": [2, 5], "unique_id_r": [3, 6], "rule": ["same_phone", "same_email"]})
    out = link_pairs(ruled, scored, threshold=0.95)
    assert out[["unique_id_l", "unique_id_r"]].values.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4], [5, 6]]
    assert out["rule"].fillna("-").tolist() == ["probabilistic", "-", "same_phone", "-", "same_email"]
    assert out["linked"].tolist() == [True, False, True, False, True]
