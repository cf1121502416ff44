"""Event ingestion: every event type and quarantine reason, both presets, readers, re-keying."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from features.events import EVENT_TYPES, Identity, canonical_event_mapping, ingest_events, load_event_mapping
from features.events.validate import REASONS
from features.ingest.mapping import MappingError

NOW = pd.Timestamp("2024-06-30 12:00", tz="UTC")
HEADER = "customer_id,timestamp,event_type,channel,campaign_id,product_id,value,properties"


def _canonical(tmp_path: Path, lines: list[str], name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", "utf-8")
    return path


def _ingest(path: Path, out: Path, mapping=None, **kwargs):
    mapping = mapping or canonical_event_mapping(pd.read_csv(path, nrows=0).columns)
    return ingest_events(path, mapping, out, now=NOW, **kwargs)


def test_every_event_type_of_the_vocabulary_and_custom_ones_are_accepted(tmp_path):
    lines = [f"c1,2024-05-01T10:{i:02d}:00Z,{t},,,,{'9' if t in ('survey_response', 'review') else ''},"
             for i, t in enumerate(EVENT_TYPES)]
    lines[list(EVENT_TYPES).index("review")] = "c1,2024-05-01T11:00:00Z,review,,,p7,4,"
    lines.append('c1,2024-05-01T12:00:00Z,custom:wishlist_add,app,,p7,,"{""list"": ""xmas""}"')
    result = _ingest(_canonical(tmp_path, lines), tmp_path / "out")
    events = pd.read_parquet(result.events_path)
    assert result.report["rows_quarantined"] == 0, pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert sorted(events["event_type"]) == sorted([*EVENT_TYPES, "custom:wishlist_add"])
    channel = events.set_index("event_type")["channel"]
    assert channel["email_open"] == "email" and channel["sms_click"] == "sms" and channel["push_open"] == "push"
    assert channel["session"] == "web" and channel["custom:wishlist_add"] == "app"
    survey = events[events["event_type"] == "survey_response"].iloc[0]
    assert survey["value"] == 9.0 and json.loads(survey["properties"]) == {"survey": "nps"}
    assert json.loads(events.set_index("event_type").loc["custom:wishlist_add", "properties"]) == {"list": "xmas"}
    assert str(events["timestamp"].dtype) == "datetime64[us, UTC]"


QUARANTINED = {
    "missing_customer_key": ",2024-05-01,session,,,,,",
    "invalid_customer_id": "c\tx,2024-05-01,session,,,,,",
    "missing_timestamp": "c1,,session,,,,,",
    "unparseable_timestamp": "c1,next tuesday,session,,,,,",
    "timestamp_before_floor": "c1,1985-01-01,session,,,,,",
    "timestamp_in_future": "c1,2024-07-02,session,,,,,",
    "missing_event_type": "c1,2024-05-01,,,,,,",
    "unknown_event_type": "c1,2024-05-01,teleport,,,,,",
    "invalid_campaign_id": "c1,2024-05-01,email_sent,," + "k" * 200 + ",,,",
    "invalid_product_id": "c1,2024-05-01,product_view,,," + "p" * 200 + ",,",
    "non_numeric_value": "c1,2024-05-01,add_to_cart,,,p1,twelve,",
    "missing_score": "c1,2024-05-01,review,,,p1,,",
    "unknown_survey": 'c1,2024-05-01,survey_response,,,,3,"{""survey"": ""ces""}"',
    "score_out_of_range": 'c1,2024-05-01,survey_response,,,,5.5,"{""survey"": ""csat""}"',
    "invalid_properties": "c1,2024-05-01,session,,,,,[1 2",
    "exact_duplicate": "c1,2024-05-02,session,,,,,",
}


def test_each_quarantine_reason_names_row_field_and_reason_and_counts_add_up(tmp_path):
    lines = ["c1,2024-05-02,session,,,,,", *QUARANTINED.values(), "c2,2024-05-03,review,,,p1,5,"]
    result = _ingest(_canonical(tmp_path, lines), tmp_path / "out")
    report = result.report
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert report["rows_in"] == len(lines) and report["rows_accepted"] == 2 and report["balanced"]
    assert report["quarantined_by_reason"] == {reason: 1 for reason in sorted(QUARANTINED)}
    by_reason = quarantine.set_index("reason")
    for position, reason in enumerate(QUARANTINED, start=2):
        assert by_reason.loc[reason, "source_row"] == position
    assert by_reason.loc["unknown_event_type", "field"] == "event_type"
    assert "'teleport'" in by_reason.loc["unknown_event_type", "detail"]
    assert by_reason.loc["score_out_of_range", "detail"] == "score 5.5 is outside 1-5"
    assert set(report["reasons"]) <= set(REASONS)


def test_contact_keys_are_quarantined_only_when_they_are_the_only_key(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("email,phone,timestamp,event_type\n"
                    "not-an-address,,2024-05-01,email_open\n"
                    ",12,2024-05-01,sms_click\n"
                    "x@shop.vn,12,2024-05-01,sms_click\n"
                    ",+84 912 345 678,2024-05-01,sms_click\n")
    result = _ingest(path, tmp_path / "out")
    assert result.report["quarantined_by_reason"] == {"invalid_email": 1, "invalid_phone": 1}
    events = pd.read_parquet(result.events_path)
    assert list(events["customer_id"]) == ["x@shop.vn", "+84912345678"]
    assert list(events["source"]) == ["email", "phone"]
    assert result.report["keyed_by"] == {"email_unresolved": 1, "phone_unresolved": 1}


@pytest.fixture
def identity() -> Identity:
    id_map = pd.DataFrame({"source": ["crm", "crm", "crm", "web_analytics"],
                           "source_customer_id": ["1", "2", "3", "dev-9"],
                           "customer_id": ["C01", "C02", "C03", "C02"]})
    golden = pd.DataFrame({"customer_id": ["C01", "C02", "C03"],
                           "email": ["ann.lee@gmail.com", "home@family.vn", "home@family.vn"],
                           "phone": ["+84912345678", None, None]})
    return Identity.from_frames(id_map, golden)


EMAIL_EXPORT = """Email Address,Action,Timestamp,Campaign,URL
AnnLee@googlemail.com,sent,2024-05-01 08:00:00,spring-sale,
annlee@gmail.com,Open,2024-05-01 09:30:00,spring-sale,
ann.lee@gmail.com,click,2024-05-01 09:31:00,spring-sale,https://shop.vn/sale
home@family.vn,open,2024-05-01 10:00:00,spring-sale,
new.person@mail.vn,sent,2024-05-01 08:00:00,spring-sale,
new.person@mail.vn,unsubscribe,2024-05-02 08:00:00,spring-sale,
ann.lee@gmail.com,bounced,2024-05-03 08:00:00,may-news,
ann.lee@gmail.com,forwarded,2024-05-03 08:00:00,may-news,
"""


def test_email_platform_preset_rekeys_through_the_id_map_and_counts_prospects(tmp_path, identity):
    source = tmp_path / "mailchimp.csv"
    source.write_text(EMAIL_EXPORT)
    result = ingest_events(source, load_event_mapping(preset="email-activity"), tmp_path / "out", now=NOW,
                           identity=identity, buyers=pd.Series(["C01", "C02"]))
    events = pd.read_parquet(result.events_path)
    report = result.report
    assert report["rows_in"] == 8 and report["rows_accepted"] == 6 and report["balanced"]
    assert report["quarantined_by_reason"] == {"ambiguous_contact": 1, "unknown_event_type": 1}
    assert list(events["event_type"]) == ["email_sent", "email_open", "email_click", "email_sent",
                                          "unsubscribe", "email_bounce"]
    assert list(events["customer_id"]) == ["C01", "C01", "C01", "new.person@mail.vn", "new.person@mail.vn", "C01"]
    assert set(events["channel"]) == {"email"} and events["campaign_id"].iat[0] == "spring-sale"
    assert json.loads(events["properties"].iat[2]) == {"URL": "https://shop.vn/sale"}
    assert report["keyed_by"] == {"email": 4, "email_unresolved": 2}
    assert report["customers"] == 2 and report["customers_who_bought"] == 1
    assert report["prospects"] == 1 and report["prospect_events"] == 2


def test_web_analytics_preset_reads_json_lines_in_microseconds_and_stitches_devices(tmp_path, identity):
    rows = [
        {"event_name": "session_start", "event_timestamp": 1714557600000000, "user_id": "1",
         "user_pseudo_id": "dev-1", "platform": "WEB", "event_params": {"ga_session_id": 77}},
        {"event_name": "view_item", "event_timestamp": 1714557660000000, "user_id": None,
         "user_pseudo_id": "dev-1", "platform": "IOS", "event_params": {"item_id": "SKU-1", "value": 12.5}},
        {"event_name": "add_to_cart", "event_timestamp": 1714557700000000, "user_pseudo_id": "dev-9",
         "platform": "ANDROID", "event_params": {"item_id": "SKU-1"}},
        {"event_name": "scroll", "event_timestamp": 1714557710000000, "user_pseudo_id": "dev-5",
         "platform": "WEB", "event_params": {"percent_scrolled": 90}},
        {"event_name": "page_view", "event_timestamp": "1714557x", "user_pseudo_id": "dev-5", "platform": "WEB"},
    ]
    source = tmp_path / "ga4.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = ingest_events(source, load_event_mapping(preset="web-analytics"), tmp_path / "out", now=NOW,
                           identity=identity)
    events = pd.read_parquet(result.events_path)
    assert result.report["quarantined_by_reason"] == {"unparseable_timestamp": 1}
    assert list(events["event_type"]) == ["session", "product_view", "add_to_cart", "custom:scroll"]
    assert list(events["customer_id"]) == ["1", "1", "C02", "dev-5"]
    assert list(events["channel"]) == ["web", "app", "app", "web"]
    assert events["timestamp"].iat[0] == pd.Timestamp("2024-05-01 10:00", tz="UTC")
    assert events["product_id"].iat[1] == "SKU-1" and events["value"].iat[1] == 12.5
    assert json.loads(events["properties"].iat[0]) == {"ga_session_id": 77}
    assert result.report["keyed_by"] == {"id_map": 1, "customer_id": 1, "same_device": 1, "source_id": 1}
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine["source_row"].tolist() == [5]


def test_parquet_excel_and_duckdb_sources_give_the_same_events(tmp_path):
    frame = pd.DataFrame({"customer_id": ["a", "b", "b"], "timestamp": ["2024-05-01 10:00", "2024-05-02", "bad"],
                          "event_type": ["session", "email_open", "review"], "value": ["", "", "4"]})
    frame.to_csv(tmp_path / "e.csv", index=False)
    frame.to_parquet(tmp_path / "e.parquet")
    frame.to_excel(tmp_path / "e.xlsx", index=False)
    with duckdb.connect(str(tmp_path / "e.duckdb")) as con:
        con.execute("CREATE TABLE activity AS SELECT * FROM frame")
    mapping = canonical_event_mapping(frame.columns)
    outputs = {}
    for name in ("e.csv", "e.parquet", "e.xlsx"):
        outputs[name] = ingest_events(tmp_path / name, mapping, tmp_path / name.replace(".", "_"), now=NOW)
    database = mapping.model_copy(update={"source": mapping.source.model_copy(update={"table": "activity"})})
    outputs["e.duckdb"] = ingest_events(tmp_path / "e.duckdb", database, tmp_path / "db", now=NOW)
    expected = pd.read_parquet(outputs["e.csv"].events_path)
    assert len(expected) == 2
    for name, result in outputs.items():
        assert result.report["quarantined_by_reason"] == {"unparseable_timestamp": 1}, name
        pd.testing.assert_frame_equal(pd.read_parquet(result.events_path), expected, obj=name)


def test_a_failed_run_leaves_the_previous_output(tmp_path):
    good = _canonical(tmp_path, ["c1,2024-05-01,session,,,,,"])
    first = _ingest(good, tmp_path / "out")
    before = first.events_path.read_bytes()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"customer_id": "c1"}\n{not json\n')
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        ingest_events(broken, load_event_mapping(preset="web-analytics"), tmp_path / "out", now=NOW)
    assert first.events_path.read_bytes() == before


def test_event_mappings_are_checked_when_loaded(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\ntimestamp = "t"\nevent_type = "e"\n')
    with pytest.raises(MappingError, match="map at least one customer key"):
        load_event_mapping(path=bad)
    bad.write_text('[columns]\ntimestamp = "t"\nevent_type = "e"\nemail = "m"\n[event_types]\nx = "teleport"\n')
    with pytest.raises(MappingError, match="event type 'teleport' is not in the vocabulary"):
        load_event_mapping(path=bad)
    with pytest.raises(MappingError, match="known presets: email-activity, web-analytics"):
        load_event_mapping(preset="cdnow")
