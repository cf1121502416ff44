"""Normalisation rules: the same person written differently gets the same comparison key."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from features.identity.normalize import (
    city_key,
    email_key,
    fold_text,
    mask_overused,
    name_key,
    normalize_email,
    normalize_loyalty_card,
    normalize_phone,
    normalize_postcode,
    normalize_records,
    parse_birth_dates,
)
from features.identity.records import to_record_frame

TODAY = date(2026, 1, 1)


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def test_emails_are_trimmed_lower_cased_and_invalid_ones_dropped() -> None:
    out = normalize_email(s("  Lan.Nguyen@Gmail.COM ", "no-at-sign.com", "a@b", None))
    assert out.tolist() == ["lan.nguyen@gmail.com", pd.NA, pd.NA, pd.NA]


def test_gmail_dots_and_plus_tags_are_ignored_only_where_the_provider_ignores_them() -> None:
    out = email_key(s("lan.nguyen+shop@gmail.com", "LanNguyen@googlemail.com", "lan.nguyen@yahoo.com",
                      "lan.nguyen+x@yahoo.com", "lan.nguyen+promo@outlook.com"))
    assert out.tolist() == ["lannguyen@gmail.com", "lannguyen@gmail.com", "lan.nguyen@yahoo.com",
                            "lan.nguyen+x@yahoo.com", "lan.nguyen@outlook.com"]


@pytest.mark.parametrize("written", ["0912 345 678", "+84 912 345 678", "+84-912-345-678", "0912.345.678",
                                     "84912345678", "(+84) 912 345 678", "0084 912 345 678"])
def test_vietnamese_mobiles_in_every_common_format_become_one_e164_number(written: str) -> None:
    assert normalize_phone(s(written)).tolist() == ["+84912345678"]


def test_national_numbers_are_read_in_the_records_country_and_invalid_numbers_dropped() -> None:
    phones = s("(415) 555-2671", "07911 123456", "0912 345 678", "12345", "0000000000")
    out = normalize_phone(phones, s("US", "GB", None, "VN", "VN"))
    assert out.tolist() == ["+14155552671", "+447911123456", "+84912345678", pd.NA, pd.NA]
    assert normalize_phone(s("(415) 555-2671"), default_country="US").tolist() == ["+14155552671"]
    with pytest.raises(ValueError, match="default_country 'XX'"):
        normalize_phone(s("0912 345 678"), default_country="XX")


def test_the_fast_path_agrees_with_phonenumbers_on_many_shapes() -> None:
    import phonenumbers

    samples = ["+84 912 345 678", "0243 826 4567", "+1 650 253 0000", "+44 20 7946 0958", "02079460958",
               "+49 1512 3456789", "+33 6 12 34 56 78", "06 12 34 56 78", "+65 9123 4567", "+61 412 345 678",
               "0412 345 678", "+84 123 456", "+999 123", "00 84 912 345 678"]
    regions = ["VN", "VN", "VN", "VN", "GB", "VN", "VN", "FR", "VN", "VN", "AU", "VN", "VN", "VN"]
    expected = []
    for raw, region in zip(samples, regions, strict=True):
        try:
            number = phonenumbers.parse(raw, region)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        expected.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                        if valid else None)
    out = normalize_phone(s(*samples), s(*regions))
    assert [None if pd.isna(v) else v for v in out.tolist()] == expected


def test_names_fold_case_whitespace_and_vietnamese_diacritics() -> None:
    assert fold_text(s("  Nguyễn  Thị-Lan ", "NGUYEN THI LAN", "Đặng Văn Đức", "Müller")).tolist() == [
        "nguyen thi lan", "nguyen thi lan", "dang van duc", "muller"]


def test_name_keys_ignore_word_order_and_english_nicknames() -> None:
    keys = name_key(s("Nguyễn Thị Lan", "Lan Nguyen Thi", "nguyen thi lan", "Bob Smith", "Robert  SMITH",
                      "Nguyen Thi Loan", "   "))
    assert keys.iloc[0] == keys.iloc[1] == keys.iloc[2] == "lan nguyen thi"
    assert keys.iloc[3] == keys.iloc[4] == "robert smith"
    assert keys.iloc[5] != keys.iloc[0]
    assert pd.isna(keys.iloc[6])


def test_birth_dates_are_read_in_several_formats_day_first_except_in_month_first_countries() -> None:
    written = s("1990-04-03", "03/04/1990", "03.04.1990", "19900403", "3 April 1990", "April 3, 1990",
                "04/03/1990", "25/03/1990", "1990-02-30", "1900-01-01", "2030-01-01", "yesterday")
    countries = s(None, "VN", "DE", None, "GB", "US", "US", "US", None, None, None, None)
    out = parse_birth_dates(written, countries, today=TODAY).dt.strftime("%Y-%m-%d")
    assert [None if pd.isna(v) else v for v in out.tolist()] == ["1990-04-03"] * 7 + ["1990-03-25"] + [None] * 4


def test_addresses_postcodes_cities_and_cards() -> None:
    assert normalize_postcode(s("sw1a 1aa", "SW1A-1AA")).tolist() == ["SW1A1AA", "SW1A1AA"]
    assert normalize_loyalty_card(s("lc 1234 5678 90", "LC-1234-5678-90")).tolist() == ["LC1234567890"] * 2
    assert city_key(s("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "HCM", "Saigon", "Hà Nội", "HANOI")).tolist() == [
        "hochiminh", "hochiminh", "hochiminh", "hochiminh", "hanoi", "hanoi"]


def test_values_shared_by_too_many_records_are_placeholders_not_identities() -> None:
    keys = s("none@none.com", "none@none.com", "none@none.com", "a@b.com", None)
    assert mask_overused(keys, max_records=2).tolist() == [pd.NA, pd.NA, pd.NA, "a@b.com", pd.NA]
    with pytest.raises(ValueError, match="at least 1"):
        mask_overused(keys, max_records=0)


def test_normalize_records_gives_every_comparison_column_on_the_records_index() -> None:
    records = to_record_frame(pd.DataFrame({
        "source": ["web", "store"], "source_customer_id": ["1", "2"],
        "full_name": ["Trần Văn Nam", "NAM TRAN VAN"], "email": ["Nam.Tran@gmail.com ", None],
        "phone": ["0987 654 321", "+84-987-654-321"], "date_of_birth": ["12/05/1985", "1985-05-12"],
        "country": ["VN", None],
    }))
    out = normalize_records(records, today=TODAY)
    assert out.loc[0, "name_key"] == out.loc[1, "name_key"] == "nam tran van"
    assert out["phone"].tolist() == ["+84987654321"] * 2
    assert out["date_of_birth"].tolist() == ["1985-05-12"] * 2
    assert out.loc[0, "email_key"] == "namtran@gmail.com"
    assert list(out.loc[0, "name_tokens"]) == ["nam", "tran", "van"]
