"""Identity resolution on names in every script: households sharing a phone stay apart, each
person's own records still link (issue 24: name folding used to erase non-Latin names)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.identity.normalize import fold_text, name_key, normalize_records
from features.identity.records import to_record_frame
from features.identity.resolve import resolve
from features.identity.rules import deterministic_pairs
from features.identity.simulate import TRUTH_COLUMN, simulate_records

TODAY = date(2026, 1, 1)

# script -> (person A as written twice, person B as written twice); A and B share a phone.
HOUSEHOLDS = {
    "chinese": (("王伟", "王 伟"), ("李娜", "李娜")),
    "chinese siblings": (("王小明", "王小明"), ("王小红", "王小红")),
    "cyrillic": (("Иван Петров", "ПЕТРОВ Иван"), ("Мария Петрова", "мария петрова")),
    "arabic": (("محمد علي", "محمد علي"), ("فاطمة علي", "فاطمة  علي")),
    "thai": (("สมชาย ใจดี", "สมชาย ใจดี"), ("วิชัย ใจดี", "วิชัย  ใจดี")),
    "korean": (("김민준", "김 민준"), ("김민서", "김민서")),
    "japanese": (("佐藤 太郎", "佐藤太郎"), ("ｻﾄｳ ﾊﾅｺ", "サトウ ハナコ")),
    "emoji": (("🐱", "🐱"), ("🐶🐾", "🐶🐾")),
}


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def test_folding_keeps_letters_of_every_script_and_still_strips_latin_accents() -> None:
    out = fold_text(s("王伟", "Иван", "Ёлкин", "محمد", "สมชาย", "김민준", "ｻﾄｳ", "🐱❤️", "Nguyễn Thị-Lan", "Ǆ ß"))
    assert out.tolist() == ["王伟", "иван", "елкин", "محمد", "สมชาย", "김민준", "サトウ", "🐱❤", "nguyen thi lan",
                            "dz ss"]
    keys = name_key(s("王伟", "李娜", "王 伟", "  "))
    assert keys.iloc[0] == keys.iloc[2] != keys.iloc[1] and pd.isna(keys.iloc[3])


def household_records(households: dict[str, tuple[tuple[str, str], tuple[str, str]]]) -> pd.DataFrame:
    """Per household two people sharing one phone; each person has a web and a store record."""
    rows = []
    for number, (person_a, person_b) in enumerate(households.values()):
        phone = f"+8491{number:07d}"
        for who, (web_name, store_name) in (("a", person_a), ("b", person_b)):
            person = f"household-{number}-{who}"
            born = "1980-03-04" if who == "a" else "1984-07-09"
            email = f"h{number}{who}@example.org"
            rows.append({"source": "web", "source_customer_id": f"W-{person}", "full_name": web_name,
                         "email": email, "phone": phone, TRUTH_COLUMN: person})
            rows.append({"source": "store", "source_customer_id": f"S-{person}", "full_name": store_name,
                         "phone": phone, "date_of_birth": born, "email": email, TRUTH_COLUMN: person})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("script", list(HOUSEHOLDS))
def test_the_phone_rule_keeps_households_apart_and_links_each_person(script: str) -> None:
    frame = household_records({script: HOUSEHOLDS[script]})
    normalized = normalize_records(to_record_frame(frame.drop(columns=TRUTH_COLUMN)), today=TODAY)
    assert normalized["name_key"].notna().all()
    normalized["unique_id"] = np.arange(len(normalized))
    pairs = deterministic_pairs(normalized)
    linked = {(int(a), int(b)) for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)}
    assert linked == {(0, 1), (2, 3)}  # rows 0-1: person a (web, store); rows 2-3: person b


def test_resolve_keeps_every_scripts_households_apart_among_other_customers() -> None:
    base = simulate_records(300, seed=5)
    households = household_records(HOUSEHOLDS)
    records = pd.concat([base, households], ignore_index=True)
    truth = records[["source", "source_customer_id", TRUTH_COLUMN]]
    resolution = resolve(to_record_frame(records.drop(columns=TRUTH_COLUMN)), today=TODAY)
    ids = resolution.id_map.merge(truth, on=["source", "source_customer_id"], validate="one_to_one")
    ours = ids[ids[TRUTH_COLUMN].str.startswith("household-")]
    per_person = ours.groupby(TRUTH_COLUMN)["customer_id"].nunique()
    assert (per_person == 1).all(), per_person[per_person > 1]
    per_id = ours.groupby("customer_id")[TRUTH_COLUMN].nunique()
    assert (per_id == 1).all(), ours[ours["customer_id"].isin(per_id[per_id > 1].index)]
    assert ours["customer_id"].nunique() == 2 * len(HOUSEHOLDS)
