"""`insight resolve` reading source exports in their own layout through record mapping files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app
from features.identity.intake import RecordSource, read_record_files

WEB_CSV = """\
source,source_customer_id,full_name,email,phone,date_of_birth,city,country,updated_at
web,W1,Nguyễn Văn An,an.nguyen@gmail.com,0912 345 678,1990-04-03,Hà Nội,VN,2024-03-01T10:00:00Z
web,W2,Trần Thị Bình,binh.tran@yahoo.com,0987 654 321,1985-12-25,Hồ Chí Minh,VN,2024-03-02T10:00:00Z
web,W3,Lê Hoàng Cường,cuong.le@outlook.com,0903 111 222,1979-07-14,Đà Nẵng,VN,2024-03-03T10:00:00Z
web,W4,Phạm Minh Đức,duc.pham@gmail.com,0934 555 666,1995-01-20,Hà Nội,VN,2024-03-04T10:00:00Z
"""

# A point-of-sale export: Vietnamese headers, ';' separated, day-first local times (UTC+7), no
# source column. S-002 appears twice; read day first, its 1 February copy (row 4) is newer than the
# 5 January one (row 2), which is therefore the quarantined duplicate.
STORE_EXPORT = """\
Mã KH;Họ và tên;SĐT;Ngày sinh;Thẻ thành viên;Cập nhật lúc;Cửa hàng
S-001;NGUYEN VAN AN;+84 912 345 678;03/04/1990;6001 0001;01/03/2024 17:00;Q1
S-002;Tran Thi Binh;0911 000 000;25/12/1985;6001 0002;05/01/2024 09:00;Q3
S-003;Võ Thị Em;0977 888 999;02/02/2000;6001 0003;10/02/2024 08:30;Q1
S-002;Tran Thi Binh;0987654321;25/12/1985;6001 0002;01/02/2024 09:00;Q3
;Khách lẻ;0900 000 001;;;01/03/2024 12:00;Q1
S-004;Hoàng Gia;0966 123 456;;6001 0004;31/02/2024 10:00;Q7
"""

STORE_MAPPING = """\
name = "store-pos"

[source]
format = "csv"
delimiter = ";"

[columns]
source_customer_id = "Mã KH"
full_name = "Họ và tên"
phone = "SĐT"
date_of_birth = "Ngày sinh"
loyalty_card = "Thẻ thành viên"
updated_at = "Cập nhật lúc"

[parse]
timestamp_format = "%d/%m/%Y %H:%M"
timezone = "Asia/Ho_Chi_Minh"

[constants]
source = "store"
country = "VN"
"""

# The store records that survive validation, as they would arrive in contract names (times in UTC).
STORE_CONTRACT = """\
source,source_customer_id,full_name,phone,date_of_birth,loyalty_card,country,updated_at
store,S-001,NGUYEN VAN AN,+84 912 345 678,1990-04-03,6001 0001,VN,2024-03-01T10:00:00Z
store,S-003,Võ Thị Em,0977 888 999,2000-02-02,6001 0003,VN,2024-02-10T01:30:00Z
store,S-002,Tran Thi Binh,0987654321,1985-12-25,6001 0002,VN,2024-02-01T02:00:00Z
"""

APP_MAPPING = """\
name = "app"

[columns]
source_customer_id = "customerId"
full_name = "fullName"
phone = "mobile"
email = "mail"
updated_at = "lastModified"

[constants]
source = "app"
"""

EXPECTED_PEOPLE = [["store:S-001", "web:W1"], ["store:S-002", "web:W2"], ["store:S-003"], ["web:W3"], ["web:W4"]]


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def resolve(out: Path, *args: str):
    return CliRunner().invoke(app, ["resolve", *args, "--out", str(out)])


def people(out: Path) -> list[list[str]]:
    """The resolved partition: each customer's `source:id` keys, sorted, independent of id numbering."""
    id_map = pd.read_parquet(out / "id_map.parquet")
    keys = id_map["source"] + ":" + id_map["source_customer_id"]
    return sorted(sorted(group) for _, group in keys.groupby(id_map["customer_id"]))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("records")
    write(folder / "web.csv", WEB_CSV)
    write(folder / "store_export.csv", STORE_EXPORT)
    write(folder / "store.toml", STORE_MAPPING)
    write(folder / "store.csv", STORE_CONTRACT)
    return folder


@pytest.fixture(scope="module")
def mapped_run(inputs: Path) -> Path:
    out = inputs / "mapped"
    result = resolve(out, "--records", str(inputs / "web.csv"),
                     "--records", f"{inputs / 'store_export.csv'}:{inputs / 'store.toml'}")
    assert result.exit_code == 0, result.output
    return out


def test_mapped_export_resolves_like_the_same_records_in_contract_names(inputs: Path, mapped_run: Path) -> None:
    contract = inputs / "contract"
    result = resolve(contract, "--records", str(inputs / "web.csv"), "--records", str(inputs / "store.csv"))
    assert result.exit_code == 0, result.output
    assert people(mapped_run) == people(contract) == EXPECTED_PEOPLE
    golden = pd.read_parquet(mapped_run / "golden_records.parquet")
    em = golden[golden["full_name"] == "Võ Thị Em"].iloc[0]
    assert em["last_updated"] == pd.Timestamp("2024-02-10 01:30", tz="UTC")
    assert em["date_of_birth"] == "2000-02-02"


def test_report_counts_records_per_file_and_reason(inputs: Path, mapped_run: Path) -> None:
    report = json.loads((mapped_run / "report.json").read_text("utf-8"))
    by_file = report["records_by_file"]
    assert by_file[str(inputs / "web.csv")] == {
        "mapping": None, "records_in": 4, "records_resolved": 4, "records_quarantined": 0,
        "quarantined_by_reason": {}}
    assert by_file[str(inputs / "store_export.csv")] == {
        "mapping": str(inputs / "store.toml"), "records_in": 6, "records_resolved": 3, "records_quarantined": 3,
        "quarantined_by_reason": {"bad_timestamp": 1, "duplicate_record": 1, "missing_value": 1}}
    assert report["records_by_source"] == {"store": 3, "web": 4}
    text = (mapped_run / "report.txt").read_text("utf-8")
    assert "store_export.csv (mapping " in text and "6 in, 3 resolved, 3 quarantined" in text


def test_quarantined_rows_keep_row_number_field_reason_and_raw_values(inputs: Path, mapped_run: Path) -> None:
    q = pd.read_parquet(mapped_run / "quarantine.parquet").sort_values("source_row")
    assert set(q["source_file"]) == {str(inputs / "store_export.csv")}
    assert q[["source_row", "reason", "field"]].values.tolist() == [
        [2, "duplicate_record", "source_customer_id"],
        [5, "missing_value", "source_customer_id"],
        [6, "bad_timestamp", "updated_at"]]
    raw = [json.loads(r) for r in q["raw"]]
    assert raw[0]["SĐT"] == "0911 000 000"
    assert raw[1]["Họ và tên"] == "Khách lẻ" and raw[1]["Mã KH"] is None
    assert raw[2] == {"Mã KH": "S-004", "Họ và tên": "Hoàng Gia", "SĐT": "0966 123 456", "Ngày sinh": None,
                      "Thẻ thành viên": "6001 0004", "Cập nhật lúc": "31/02/2024 10:00", "Cửa hàng": "Q7"}
    assert q["detail"].iat[2] == "cannot read '31/02/2024 10:00' as a time with format '%d/%m/%Y %H:%M'"


def test_one_mapping_for_several_files_mixed_with_a_per_file_mapping(inputs: Path, tmp_path: Path) -> None:
    mapping = write(tmp_path / "app.toml", APP_MAPPING)
    pd.DataFrame({"customerId": ["A1"], "fullName": ["Vo Thi Em"], "mobile": ["+84977888999"], "mail": [None],
                  "lastModified": [pd.Timestamp("2023-11-05 08:00", tz="Asia/Ho_Chi_Minh")]},
                 ).to_parquet(tmp_path / "app_2023.parquet")
    write(tmp_path / "app_2024.csv", "customerId,fullName,mobile,mail,lastModified\n"
                                     "A2,Nguyen Van An,0912345678,an@example.com,2024-05-01T08:00:00+07:00\n")
    apps = ["--records", str(tmp_path / "app_2023.parquet"), "--records", str(tmp_path / "app_2024.csv")]
    out = tmp_path / "out"
    result = resolve(out, "--mapping", str(mapping), *apps,
                     "--records", f"{inputs / 'store_export.csv'}:{inputs / 'store.toml'}")
    assert result.exit_code == 0, result.output
    assert people(out) == [["app:A1", "store:S-003"], ["app:A2", "store:S-001"], ["store:S-002"]]
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert {f: c["mapping"] for f, c in report["records_by_file"].items()} == {
        str(tmp_path / "app_2023.parquet"): str(mapping), str(tmp_path / "app_2024.csv"): str(mapping),
        str(inputs / "store_export.csv"): str(inputs / "store.toml")}

    missing = resolve(tmp_path / "out2", "--mapping", str(mapping), *apps, "--records",
                      f"{inputs / 'store_export.csv'}:{tmp_path / 'pos.toml'}")
    assert missing.exit_code == 2
    assert f"store_export.csv: mapping {tmp_path / 'pos.toml'}: mapping file not found" in missing.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('phone = "SĐT"', 'phone = "Điện thoại"'),
         "store_export.csv: column 'Điện thoại' (mapped to phone) not found; columns present: Mã KH, "),
        (('phone = "SĐT"', 'e_mail = "SĐT"'), "store.toml: columns: 'e_mail' is not a record field"),
        (('source = "store"', ""), "say which system the records come from: [constants] source = \"store\""),
        (('[parse]', '[rules]'), "store.toml: rules: Extra inputs are not permitted"),
    ],
)
def test_bad_mapping_is_a_one_line_error_naming_file_and_column_and_writes_nothing(
        inputs: Path, tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    assert edit[0] in STORE_MAPPING
    mapping = write(tmp_path / "store.toml", STORE_MAPPING.replace(*edit))
    out = tmp_path / "out"
    result = resolve(out, "--records", str(inputs / "web.csv"),
                     "--records", f"{inputs / 'store_export.csv'}:{mapping}")
    assert result.exit_code == 2
    assert message in result.output
    assert str(mapping) in result.output
    assert not out.exists()


def test_excel_export_with_real_dates_is_read_through_the_mapping(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    workbook = tmp_path / "loyalty.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        pd.DataFrame({"Card": ["6001 0001", "6001 0009"], "Member": ["Nguyễn Văn An", "Đỗ Thu"],
                      "Birthday": pd.to_datetime(["1990-04-03", "1988-10-09"]),
                      "Changed": ["2024-01-02 09:00", "yesterday"]}).to_excel(writer, sheet_name="Members", index=False)
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
    mapping = write(tmp_path / "loyalty.toml",
                    '[source]\nsheets = ["Members"]\n[columns]\nsource_customer_id = "Card"\n'
                    'loyalty_card = "Card"\nfull_name = "Member"\ndate_of_birth = "Birthday"\nupdated_at = "Changed"\n'
                    '[constants]\nsource = "loyalty"\n')
    intake = read_record_files([RecordSource.parse(f"{workbook}:{mapping}")])
    assert intake.records[["source", "source_customer_id", "date_of_birth"]].values.tolist() == [
        ["loyalty", "6001 0001", "1990-04-03"]]
    assert intake.records["updated_at"].iat[0] == pd.Timestamp("2024-01-02 09:00", tz="UTC")
    q = intake.quarantine
    assert q[["source_sheet", "source_row", "reason", "field"]].values.tolist() == [
        ["Members", 2, "bad_timestamp", "updated_at"]]


def test_record_source_splits_a_trailing_mapping_only() -> None:
    default = Path("all.toml")
    assert RecordSource.parse("web.csv:web.toml", default) == RecordSource("web.csv", Path("web.toml"))
    assert RecordSource.parse("web.csv", default) == RecordSource("web.csv", default)
    assert RecordSource.parse("web.csv") == RecordSource("web.csv", None)
    assert RecordSource.parse("crm.duckdb:crm.TOML") == RecordSource("crm.duckdb", Path("crm.TOML"))
    assert RecordSource.parse("postgres:dbname=crm") == RecordSource("postgres:dbname=crm", None)
