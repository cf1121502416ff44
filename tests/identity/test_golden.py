"""Golden records follow the documented survivorship rules."""

from __future__ import annotations

from datetime import date

import pandas as pd

from features.identity.golden import GOLDEN_COLUMNS, golden_records
from features.identity.normalize import normalize_records
from features.identity.records import to_record_frame


def golden(rows: list[dict[str, object]], customers: list[str]) -> pd.DataFrame:
    records = to_record_frame(pd.DataFrame(rows))
    normalized = normalize_records(records, today=date(2026, 1, 1))
    return golden_records(records, normalized, pd.Series(customers, dtype="string")).set_index("customer_id")


def test_survivorship_picks_recent_contacts_frequent_name_and_earliest_first_seen() -> None:
    rows = [
        {"source": "web", "source_customer_id": "w1", "full_name": "Nguyễn Thị Lan",
         "email": "Lan.Old@gmail.com", "phone": "0912 345 678", "date_of_birth": "1990-04-03",
         "address": "12 Lê Lợi", "city": "Hà Nội", "created_at": "2020-01-05", "updated_at": "2021-01-01"},
        {"source": "app", "source_customer_id": "a1", "full_name": "Lan Nguyen Thi", "email": None,
         "phone": "+84 987 654 321", "date_of_birth": "03/04/1990",
         "created_at": "2019-06-01", "updated_at": "2024-05-01"},
        {"source": "store", "source_customer_id": "s1", "full_name": "Lan Tran", "email": "lan.new@yahoo.com",
         "phone": None, "loyalty_card": "lc 1234 5678 90", "date_of_birth": "1991-04-03",
         "address": "5 Hai Bà Trưng", "city": "TP. Hồ Chí Minh",
         "created_at": None, "updated_at": "2023-03-01"},
        {"source": "web", "source_customer_id": "w9", "full_name": "Other Person",
         "created_at": "2022-01-01", "updated_at": "2022-01-01"},
    ]
    out = golden(rows, ["C1", "C1", "C1", "C2"])
    lan = out.loc["C1"]
    assert lan["email"] == "lan.new@yahoo.com", "most recent record with an email"
    assert lan["phone"] == "+84987654321", "most recent record with a phone"
    assert lan["loyalty_card"] == "LC1234567890"
    assert lan["full_name"] == "Lan Nguyen Thi", "most frequent name, as the most recent record wrote it"
    assert lan["date_of_birth"] == "1990-04-03", "most frequent birth date"
    assert (lan["address"], lan["city"]) == ("5 Hai Bà Trưng", "TP. Hồ Chí Minh"), "address kept together"
    assert lan["first_seen"] == pd.Timestamp("2019-06-01", tz="UTC")
    assert lan["last_updated"] == pd.Timestamp("2024-05-01", tz="UTC")
    assert lan["n_records"] == 3
    assert list(lan["sources"]) == ["app", "store", "web"]
    assert list(lan["source_ids"]) == ["app:a1", "store:s1", "web:w1"]
    assert out.loc["C2", "n_records"] == 1 and pd.isna(out.loc["C2", "email"])
    assert list(out.reset_index().columns) == list(GOLDEN_COLUMNS)


def test_a_name_tie_goes_to_the_most_recent_record() -> None:
    rows = [
        {"source": "web", "source_customer_id": "1", "full_name": "Tran Van Nam", "updated_at": "2020-01-01"},
        {"source": "app", "source_customer_id": "2", "full_name": "Tran Van Nam Anh", "updated_at": "2022-01-01"},
    ]
    assert golden(rows, ["C1", "C1"]).loc["C1", "full_name"] == "Tran Van Nam Anh"
