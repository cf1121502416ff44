"""Ingestion: every quarantine reason, mapping files, presets and the loss-free accounting."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.ingest import ingest, load_mapping
from features.ingest.mapping import MappingError, parse_mapping
from features.ingest.readers import SourceError
from features.datasets import cdnow_master_path
from features.schema import CANONICAL_COLUMNS

NOW = pd.Timestamp("2024-06-30T00:00:00", tz="UTC")

MAPPING = """
name = "test-shop"
[columns]
customer_id = "cust"
order_id = "order"
timestamp = "when"
amount = "value"
quantity = "qty"
channel = "chan"
[parse]
timestamp_format = "%Y-%m-%d %H:%M"
[rules]
min_timestamp = "2000-01-01"
cancellation_prefix = "R"
"""

ROWS = [
    # cust, order, when, value, qty, chan      -> expected
    ("c1", "o1", "2024-01-05 10:00", "20.5", "2", "web"),  # ok
    ("c1", "o1", "2024-01-05 10:00", "20.5", "2", "web"),  # exact_duplicate
    ("", "o2", "2024-01-06 10:00", "5", "1", "app"),  # missing_customer_id
    ("c2", "o3", "", "5", "1", "app"),  # missing_timestamp
    ("c2", "o4", "05/01/2024", "5", "1", "app"),  # unparseable_timestamp
    ("c2", "o5", "1999-12-31 23:59", "5", "1", "store"),  # timestamp_before_floor
    ("c2", "o6", "2025-01-01 00:00", "5", "1", "store"),  # timestamp_in_future
    ("c3", "o7", "2024-02-01 09:00", "", "1", "web"),  # missing_amount
    ("c3", "o8", "2024-02-01 09:00", "abc", "1", "web"),  # non_numeric_amount
    ("c3", "o9", "2024-02-01 09:00", "7", "two", "web"),  # non_numeric_quantity
    ("c3", "", "2024-02-01 09:00", "7", "1", "web"),  # missing_order_id
    ("c3", "R10", "2024-02-03 09:00", "7", "1", "web"),  # ok, cancellation -> -7
    ("c4", "o11", "2024-03-01 12:30", "0", "1", "store"),  # ok, zero amount kept
    ("c4", "o12", "2024-03-02 12:30", "-3.5", "-1", "store"),  # ok, a return
]
EXPECTED_REASONS = {
    2: "exact_duplicate", 3: "missing_customer_id", 4: "missing_timestamp",
    5: "unparseable_timestamp", 6: "timestamp_before_floor", 7: "timestamp_in_future",
    8: "missing_amount", 9: "non_numeric_amount", 10: "non_numeric_quantity", 11: "missing_order_id",
}


@pytest.fixture()
def shop_csv(tmp_path: Path) -> Path:
    frame = pd.DataFrame(ROWS, columns=["cust", "order", "when", "value", "qty", "chan"])
    path = tmp_path / "shop.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture()
def shop_result(shop_csv: Path, tmp_path: Path):
    return ingest(shop_csv, parse_mapping(MAPPING), tmp_path / "out", now=NOW)


def test_each_quarantine_reason_names_row_and_field(shop_result) -> None:
    quarantine = pd.read_parquet(shop_result.out_dir / "quarantine.parquet")
    got = dict(zip(quarantine["source_row"], quarantine["reason"], strict=True))
    assert got == EXPECTED_REASONS
    row9 = quarantine.set_index("source_row").loc[9]
    assert row9["field"] == "amount" and "'abc'" in row9["detail"]
    assert json.loads(row9["raw"]) == {"cust": "c3", "order": "o8", "when": "2024-02-01 09:00",
                                       "value": "abc", "qty": "1", "chan": "web"}


def test_accepted_rows_are_canonical_and_counts_add_up(shop_result) -> None:
    accepted = pd.read_parquet(shop_result.transactions_path)
    assert list(accepted.columns) == list(CANONICAL_COLUMNS)
    assert accepted["order_id"].tolist() == ["o1", "R10", "o11", "o12"]
    assert accepted["amount"].tolist() == [20.5, -7.0, 0.0, -3.5]
    assert accepted["quantity"].tolist() == [2.0, -1.0, 1.0, -1.0]
    assert str(accepted["timestamp"].dtype) == "datetime64[us, UTC]"
    report = shop_result.report
    assert report["rows_in"] == 14 == report["rows_accepted"] + report["rows_quarantined"]
    assert report["rows_accepted"] == 4 and report["balanced"]
    assert sum(report["quarantined_by_reason"].values()) == 10
    assert report["customers"] == 3 and report["orders"] == 4 and report["return_lines"] == 2
    assert "kept with amount 0: 1 lines" in report["treatment"]["zero_amounts"]
    written = json.loads((shop_result.out_dir / "quality_report.json").read_text())
    assert written["rows_quarantined"] == 10


def test_zero_amount_can_be_quarantined(shop_csv: Path, tmp_path: Path) -> None:
    mapping = parse_mapping(MAPPING + 'zero_amount = "quarantine"\n')
    result = ingest(shop_csv, mapping, tmp_path / "out", now=NOW)
    assert result.report["quarantined_by_reason"]["zero_amount"] == 1


def test_quantity_times_price_and_negative_price(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("c,o,t,q,p\nA,1,2024-01-01,3,2.5\nA,2,2024-01-02,1,-4\nA,3,2024-01-03,1,x\n")
    mapping = parse_mapping(
        '[columns]\ncustomer_id="c"\norder_id="o"\ntimestamp="t"\nquantity="q"\nunit_price="p"\n'
    )
    result = ingest(path, mapping, tmp_path / "out", now=NOW)
    accepted = pd.read_parquet(result.transactions_path)
    assert accepted["amount"].tolist() == [7.5]
    assert result.report["quarantined_by_reason"] == {"negative_unit_price": 1, "non_numeric_unit_price": 1}


def test_timezone_of_naive_timestamps_is_the_mappings(tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text("c,o,t,v\nA,1,2024-05-01 12:00,1\n")
    mapping = parse_mapping(
        '[columns]\ncustomer_id="c"\norder_id="o"\ntimestamp="t"\namount="v"\n'
        '[parse]\ntimezone="Asia/Ho_Chi_Minh"\n'
    )
    accepted = pd.read_parquet(ingest(path, mapping, tmp_path / "out", now=NOW).transactions_path)
    assert accepted["timestamp"].iat[0] == pd.Timestamp("2024-05-01 05:00", tz="UTC")


def test_mapping_file_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="columns"):
        parse_mapping('[columns]\ncustomer_id="c"\n', "m.toml")
    with pytest.raises(MappingError, match="amount"):
        parse_mapping('[columns]\ncustomer_id="c"\ntimestamp="t"\norder_id="o"\n')
    with pytest.raises(MappingError, match="columns.colour"):
        parse_mapping('[columns]\ncustomer_id="c"\ntimestamp="t"\norder_id="o"\namount="a"\ncolour="x"\n')
    with pytest.raises(MappingError, match="unknown preset 'nope'"):
        load_mapping(preset="nope")
    custom = tmp_path / "m.toml"
    custom.write_text(MAPPING)
    assert load_mapping(path=custom).name == "test-shop"


def test_missing_column_fails_cleanly_and_writes_nothing(shop_csv: Path, tmp_path: Path) -> None:
    mapping = parse_mapping(MAPPING.replace('amount = "value"', 'amount = "price"'))
    out = tmp_path / "out"
    with pytest.raises(SourceError, match=r"shop.csv: column 'price' \(mapped to amount\) not found"):
        ingest(shop_csv, mapping, out, now=NOW)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["shop.csv"]


def test_failed_rerun_keeps_previous_output(shop_csv: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    ingest(shop_csv, parse_mapping(MAPPING), out, now=NOW)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("features.ingest.run.render_text", broken)
    with pytest.raises(OSError):
        ingest(shop_csv, parse_mapping(MAPPING), out, now=NOW)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "shop.csv"]


def test_empty_and_malformed_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SourceError, match="empty.csv: the file is empty"):
        ingest(empty, parse_mapping(MAPPING), tmp_path / "out", now=NOW)
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(SourceError, match="bad.parquet: cannot read as parquet"):
        ingest(bad, parse_mapping(MAPPING), tmp_path / "out", now=NOW)
    assert not (tmp_path / "out").exists()


def test_parquet_and_duckdb_sources(shop_csv: Path, tmp_path: Path) -> None:
    import duckdb

    frame = pd.read_csv(shop_csv, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "shop.parquet")
    from_parquet = ingest(tmp_path / "shop.parquet", parse_mapping(MAPPING), tmp_path / "p", now=NOW)
    db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE sales AS SELECT * FROM frame")
    from_db = ingest(db, parse_mapping(MAPPING + '[source]\ntable = "sales"\n'), tmp_path / "d", now=NOW)
    for result in (from_parquet, from_db):
        assert result.report["rows_accepted"] == 4 and result.report["rows_quarantined"] == 10


def test_cdnow_preset_from_installed_package(tmp_path: Path) -> None:
    result = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), tmp_path / "cdnow")
    report = result.report
    assert report["rows_in"] == 69_659 == report["rows_accepted"]
    assert report["customers"] == 23_570
    assert report["first_timestamp"].startswith("1997-01-01")
    assert report["last_timestamp"].startswith("1998-06-30")
    accepted = pd.read_parquet(result.transactions_path)
    c2 = accepted[accepted["customer_id"] == "00002"]
    assert c2["order_id"].nunique() == 1 and c2["amount"].sum() == pytest.approx(89.0)


def test_online_retail_subset(online_retail_path: Path, tmp_path: Path) -> None:
    result = ingest(online_retail_path, load_mapping(preset="online-retail-ii"), tmp_path / "ore")
    report = result.report
    assert report["rows_in"] == 34_766
    assert report["rows_in_by_sheet"] == {"Year 2009-2010": 14_269, "Year 2010-2011": 20_497}
    assert report["rows_accepted"] + report["rows_quarantined"] == 34_766
    assert report["quarantined_by_reason"]["missing_customer_id"] == 601
    accepted = pd.read_parquet(result.transactions_path)
    cancelled = accepted["order_id"].str.startswith("C")
    assert cancelled.any() and (accepted.loc[cancelled, "amount"] < 0).all()
    assert "exact_duplicate" in report["treatment"]["exact_duplicates"]
    assert "kept with amount 0: 9 lines" == report["treatment"]["zero_amounts"]
