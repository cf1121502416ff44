"""Online Retail I and II layouts through one preset: column names of either layout, float-written
customer ids, and non-product lines classified by the preset's rules and counted in the report."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from features.ingest import ingest, load_mapping
from features.ingest.mapping import parse_mapping

HEADER_I = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
LINES_I = (
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"
    "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom\n"
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527.0,United Kingdom\n"
    "536370,22728,ALARM CLOCK,24,2010-12-01 08:45:00,3.75,12583.0,France\n"
    "536414,22139,,56,2010-12-01 11:52:00,0.00,,United Kingdom\n"
    "C536391,AMAZONFEE,AMAZON FEE,-1,2010-12-01 10:24:00,13541.33,,United Kingdom\n"
    "A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom\n"
    "536544,21773,DECORATIVE ROSE,1,2010-12-01 14:32:00,2.51,,United Kingdom\n"
)


def _expect_online_retail_i(report: dict, out: Path) -> None:
    assert report["rows_in"] == 8 and report["balanced"]
    assert report["rows_accepted"] == 2
    assert report["quarantined_by_reason"] == {"missing_customer_id": 4, "non_product_line": 2}
    classes = report["line_classes"]
    assert {k: (v["lines"], v["accepted"]) for k, v in classes.items() if v["lines"]} == {
        "postage": (1, 0), "discount": (1, 0), "fees": (1, 0), "accounting_adjustment": (1, 0),
        "stock_adjustment": (1, 0)}
    assert classes["postage"]["amount"] == 18.0 and classes["discount"]["amount"] == -27.5
    lines = pd.read_parquet(out / "transactions.parquet")
    assert sorted(lines["customer_id"]) == ["12583", "17850"]
    assert sorted(lines["product_id"]) == ["22728", "85123A"]
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    postage = quarantine[quarantine["source_row"] == 2].iloc[0]
    assert postage["reason"] == "non_product_line" and "line class 'postage'" in postage["detail"]


@pytest.mark.parametrize("form", ["csv", "csv.gz", "xlsx"])
def test_online_retail_i_layout_reads_with_the_online_retail_preset(tmp_path: Path, form: str) -> None:
    source = tmp_path / f"online_retail.{form}"
    text = HEADER_I + LINES_I
    if form == "csv":
        source.write_text(text)
    elif form == "csv.gz":
        source.write_bytes(gzip.compress(text.encode()))
    else:
        (tmp_path / "plain.csv").write_text(text)
        frame = pd.read_csv(tmp_path / "plain.csv", dtype={"InvoiceNo": str, "StockCode": str})
        frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
        frame.to_excel(source, sheet_name="Online Retail", index=False)
    result = ingest(source, load_mapping(preset="online-retail-ii"), tmp_path / "out")
    _expect_online_retail_i(result.report, tmp_path / "out")


def test_a_line_class_can_keep_a_line_out_of_spend(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("cust,inv,day,sku,qty,price\nA,1,2024-01-02,X1,2,5.0\nA,1,2024-01-02,SHIP,1,4.5\n"
                      "B,2,2024-01-03,SHIP,1,4.5\n")
    mapping = parse_mapping(
        '[columns]\ncustomer_id = "cust"\norder_id = "inv"\ntimestamp = "day"\nproduct_id = "sku"\n'
        'quantity = "qty"\nunit_price = "price"\n'
        '[[line_classes]]\nname = "shipping"\nproduct_ids = ["SHIP"]\ntreatment = "exclude_from_spend"\n')
    result = ingest(source, mapping, tmp_path / "out")
    lines = pd.read_parquet(tmp_path / "out" / "transactions.parquet")
    assert lines["amount"].tolist() == [10.0, 0.0, 0.0] and lines["quantity"].isna().tolist() == [False, True, True]
    assert result.report["line_classes"]["shipping"] == {
        "treatment": "exclude_from_spend", "description": "", "lines": 2, "accepted": 2, "amount": 9.0}
    assert "0 lines" in result.report["treatment"]["zero_amounts"]
    json.dumps(result.report)


def test_a_line_class_needs_a_condition() -> None:
    from features.ingest.mapping import MappingError

    with pytest.raises(MappingError, match="matches every line"):
        parse_mapping('[columns]\ncustomer_id = "c"\norder_id = "o"\ntimestamp = "t"\namount = "a"\n'
                      '[[line_classes]]\nname = "all"\ntreatment = "quarantine"\n')


@pytest.mark.slow
def test_the_complete_online_retail_i_log_is_accounted_for(online_retail_i_path: Path, tmp_path: Path) -> None:
    report = ingest(online_retail_i_path, load_mapping(preset="online-retail-ii"), tmp_path / "ori").report
    assert report["rows_in"] == 541_909 and report["balanced"]
    assert report["rows_accepted"] + report["rows_quarantined"] == 541_909
    # 4,372 customers in the log; 9 of them bought nothing but postage, manual entries or fees.
    assert report["customers"] == 4_363
    classes = {name: row["lines"] for name, row in report["line_classes"].items()}
    assert classes == {"postage": 2_110, "manual": 572, "discount": 77, "samples": 63, "fees": 87,
                       "accounting_adjustment": 3, "stock_adjustment": 2_467}
    assert all(row["accepted"] == 0 for row in report["line_classes"].values())
    assert report["quarantined_by_reason"]["non_product_line"] > 0
