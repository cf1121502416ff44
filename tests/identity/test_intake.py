"""Reading record files: row-level quarantine, clear file errors, and applying an id map."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.identity.intake import QUARANTINE_COLUMNS, RecordFileError, read_record_files
from features.ingest.id_map import apply_id_map


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_unusable_rows_are_quarantined_with_reason_field_and_position(tmp_path: Path) -> None:
    web = write_csv(tmp_path / "web.csv",
                    "source,source_customer_id,full_name,email,updated_at\n"
                    "web,1,Lan,lan@gmail.com,2024-01-01\n"
                    "web,,No Id,x@gmail.com,2024-01-01\n"
                    "web,2,Bad Time,y@gmail.com,not a date\n"
                    "web,1,Lan Newer,lan@gmail.com,2024-06-01\n")
    app = write_csv(tmp_path / "app.csv", "source,source_customer_id,phone\napp,7,0912 345 678\n")
    intake = read_record_files([web, app])
    assert sorted(zip(intake.records["source"], intake.records["source_customer_id"])) == [("app", "7"), ("web", "1")]
    assert intake.records.set_index("source_customer_id").loc["1", "full_name"] == "Lan Newer"
    q = intake.quarantine.sort_values("source_row")
    assert list(q.columns) == list(QUARANTINE_COLUMNS)
    assert q[["source_row", "reason", "field"]].values.tolist() == [
        [1, "duplicate_record", "source_customer_id"], [2, "missing_value", "source_customer_id"],
        [3, "bad_timestamp", "updated_at"]]
    assert set(q["source_file"]) == {str(web)}
    assert json.loads(q.iloc[2]["raw"])["updated_at"] == "not a date"


def test_unreadable_files_fail_with_the_file_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RecordFileError, match="missing.csv: file not found"):
        read_record_files([tmp_path / "missing.csv"])
    no_key = write_csv(tmp_path / "shop.csv", "customer,email\n1,a@b.com\n")
    with pytest.raises(RecordFileError, match="shop.csv: no column 'source'"):
        read_record_files([no_key])
    with pytest.raises(RecordFileError, match="cannot read '.xml'"):
        read_record_files([write_csv(tmp_path / "x.xml", "<a/>")])


def test_apply_id_map_rekeys_source_rows_and_passes_single_source_logs_through() -> None:
    id_map = pd.DataFrame({"source": ["web", "app"], "source_customer_id": ["1", "7"],
                           "customer_id": ["C000000001", "C000000001"]})
    tx = pd.DataFrame({"customer_id": ["w-1", "a-7", "x-3"], "source": ["web", "app", "web"],
                       "source_customer_id": ["1", "7", "3"], "amount": [1.0, 2.0, 3.0]})
    out = apply_id_map(tx, id_map)
    assert out["customer_id"].tolist() == ["C000000001", "C000000001", "x-3"]
    cdnow = tx.drop(columns=["source", "source_customer_id"])
    pd.testing.assert_frame_equal(apply_id_map(cdnow, id_map), cdnow)
    with pytest.raises(ValueError, match="lacks column 'customer_id'"):
        apply_id_map(tx, id_map.drop(columns="customer_id"))
    with pytest.raises(ValueError, match=r"lists \(web, 1\) twice"):
        apply_id_map(tx, pd.concat([id_map, id_map.iloc[:1]]))


def test_insight_ingest_with_an_id_map_keys_transactions_by_unified_customer(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    orders = write_csv(tmp_path / "orders.csv",
                       "Order,Date,Total,System,SystemCustomer\n"
                       "o1,2024-01-02 10:00,10.5,web,1\n"
                       "o2,2024-01-03 11:00,20.0,app,7\n"
                       "o3,2024-01-04 12:00,5.0,store,3\n")
    mapping = write_csv(tmp_path / "shop.toml",
                        'name = "shop"\n[columns]\ncustomer_id = "SystemCustomer"\norder_id = "Order"\n'
                        'timestamp = "Date"\namount = "Total"\nsource = "System"\n'
                        'source_customer_id = "SystemCustomer"\n')
    id_map = tmp_path / "id_map.parquet"
    pd.DataFrame({"source": ["web", "app"], "source_customer_id": ["1", "7"],
                  "customer_id": ["C000000001", "C000000001"]}).to_parquet(id_map)
    out = tmp_path / "shop"
    result = CliRunner().invoke(app, ["ingest", str(orders), "--mapping", str(mapping), "--id-map", str(id_map),
                                      "--out", str(out), "--now", "2025-01-01"])
    assert result.exit_code == 0, result.output
    tx = pd.read_parquet(out / "transactions.parquet").sort_values("order_id")
    assert tx["customer_id"].tolist() == ["C000000001", "C000000001", "3"]
    report = json.loads((out / "quality_report.json").read_text())
    assert report["customers_after_id_map"] == 2
