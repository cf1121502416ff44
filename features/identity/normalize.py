"""Comparison keys for customer records: the same person written differently gets the same key.

Each function takes a column and returns a column (missing stays missing, unusable becomes
missing), so they are reusable on their own; `normalize_records` applies them all to a record frame.
Values repeat a lot in a customer base (names, cities, domains), so every rule runs once per
distinct value.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import date

import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from features.identity.phones import to_e164

DEFAULT_COUNTRY = "VN"
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH"})
MAX_RECORDS_PER_VALUE = 30
PLACEHOLDER_BIRTH_DATES = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1970, 1, 1)})

_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans(
    {"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "Æ": "ae",
     "œ": "oe", "Œ": "oe", "ı": "i"}
)
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_MARKS_ON_ALPHABETS = re.compile(r"(?<=[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff])[\u0300-\u036f]+")
_VARIATION_SELECTORS = re.compile(r"[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_SPACED_CJK = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]) "
                         r"(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_JOINERS = frozenset({"\u200c", "\u200d"})
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_FORMAL_NAMES = {
    nickname: formal
    for formal, nicknames in {
        "alexander": "alex alec sandy", "alexandra": "alexa sasha", "andrew": "andy drew",
        "anthony": "tony", "benjamin": "ben benny", "catherine": "cathy cat", "charles": "charlie chuck",
        "christopher": "chris kit", "christine": "chrissy tina", "daniel": "dan danny",
        "david": "dave davy", "deborah": "debbie deb", "edward": "ed eddie ted", "elizabeth": "liz beth betty lizzie eliza",
        "frederick": "fred freddie", "gregory": "greg", "henry": "hank", "james": "jim jimmy jamie",
        "jennifer": "jenny jen", "john": "johnny", "jonathan": "jon", "joseph": "joe joey",
        "joshua": "josh", "katherine": "kate katie kathy kat", "lawrence": "larry", "margaret": "maggie peggy meg",
        "matthew": "matt", "michael": "mike mikey mick", "nicholas": "nick nicky", "patricia": "pat patty tricia",
        "peter": "pete", "rebecca": "becky becca", "richard": "rick dick rich ricky", "robert": "bob rob bobby robbie",
        "samuel": "sam sammy", "stephen": "steve", "steven": "stevie", "susan": "sue susie",
        "thomas": "tom tommy", "timothy": "tim", "victoria": "vicky tori", "william": "bill will billy willy",
    }.items()
    for nickname in nicknames.split()
}

_DOT_BLIND_PROVIDERS = frozenset({"gmail.com"})
_PLUS_TAG_PROVIDERS = frozenset(
    {"gmail.com", "outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com",
     "protonmail.com", "proton.me"}
)
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")

_ADDRESS_DESIGNATORS = frozenset(
    {"street", "st", "str", "strasse", "road", "rd", "avenue", "ave", "av", "lane", "ln", "drive",
     "dr", "boulevard", "blvd", "rue", "duong", "pho", "phuong", "p", "quan", "q", "huyen", "xa",
     "ward", "district", "dist", "so", "no", "apt", "unit", "flat", "blk", "block"}
)
_CITY_DESIGNATORS = frozenset({"tp", "thanh", "pho", "city", "of"})
_CITY_ALIASES = {"hcm": "hochiminh", "tphcm": "hochiminh", "hcmc": "hochiminh", "saigon": "hochiminh",
                 "hn": "hanoi"}

_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})")
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_MONTHS = {name: i + 1 for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_WORDS_DAY_FIRST = re.compile(r"(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})")
_WORDS_MONTH_FIRST = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})")
_TIME_OF_DAY = re.compile(r"[t ]\d{1,2}:\d{2}.*$")


def fold_text(values: pd.Series) -> pd.Series:
    """Lower case, Latin/Greek/Cyrillic diacritics removed (đ -> d too), punctuation to spaces,
    single spaces; letters of every other script (and emoji) kept as written.

    "  Nguyễn  Thị-Lan " -> "nguyen thi lan", "Ёлкин" -> "елкин", "王 伟" -> "王伟",
    "ｻﾄｳ" -> "サトウ". Empty results become missing. Nothing is transliterated: romanising Chinese,
    Japanese or Korean maps different names to the same syllables (王伟 and 汪巍 are both "wang
    wei"), which would merge the very households a shared phone must not merge.
    """
    return _per_value(values, _fold)


def name_key(names: pd.Series) -> pd.Series:
    """Folded name, English nicknames written formally ("Bob" -> "robert"), words sorted so word
    order does not matter ("Lan Nguyen" ~ "Nguyen Lan")."""
    return _per_value(names, _name_key)


def name_tokens(names: pd.Series) -> pd.Series:
    """The words of `name_key` as a list per record (missing when there is no name)."""
    return _words(name_key(names))


def normalize_email(emails: pd.Series) -> pd.Series:
    """Lower-cased email without blanks; missing when it is not shaped like an address."""
    return _per_value(emails, _clean_email)


def email_key(emails: pd.Series) -> pd.Series:
    """The mailbox an address delivers to, using provider rules that are safe to apply.

    Gmail ignores dots in the local part and googlemail.com is gmail.com; Gmail, Outlook, iCloud
    and a few others drop a "+tag". Other providers are left alone: dots can matter there.
    """
    return _per_value(emails, _email_key)


def normalize_phone(phones: pd.Series, countries: pd.Series | None = None, *,
                    default_country: str = DEFAULT_COUNTRY) -> pd.Series:
    """Phone numbers in E.164 ("+84912345678"); missing when not a valid number.

    Numbers without a country code are read in the record's country, else `default_country`
    (so "0912 345 678" and "+84 912 345 678" agree for Vietnam). Validated by `phonenumbers`.
    """
    _check_country(default_country)
    return to_e164(phones, _regions(countries, phones.index, default_country))


def parse_birth_dates(dates: pd.Series, countries: pd.Series | None = None, *,
                      default_country: str = DEFAULT_COUNTRY,
                      today: date | None = None) -> pd.Series:
    """Birth dates read from ISO, compact, day-first, month-first and written-month formats.

    "03/04/1990" is day-first (3 April) except for records from month-first countries (US, PH);
    a reading that is impossible one way ("25/03/1990") is read the other way. Known placeholder
    dates (1900-01-01, 1970-01-01, ...) and dates outside 1900..today become missing.
    """
    _check_country(default_country)
    today = date.today() if today is None else today
    month_first = _regions(countries, dates.index, default_country).isin(MONTH_FIRST_COUNTRIES)
    day_first_reading = _per_value(dates, lambda text: _iso_birth_date(text, False, today))
    month_first_reading = _per_value(dates, lambda text: _iso_birth_date(text, True, today))
    iso = day_first_reading.where(~month_first, month_first_reading)
    return pd.to_datetime(iso, format="%Y-%m-%d").astype("datetime64[s]")


def normalize_postcode(postcodes: pd.Series) -> pd.Series:
    """Upper case without spaces or dashes: "sw1a 1aa" -> "SW1A1AA"."""
    return _per_value(postcodes, lambda text: re.sub(r"[^0-9A-Z]", "", text.upper()) or None)


def normalize_loyalty_card(cards: pd.Series) -> pd.Series:
    """Card numbers as letters and digits only: "lc-1234 5678" -> "LC12345678"."""
    return normalize_postcode(cards)


def address_key(addresses: pd.Series) -> pd.Series:
    """Folded address without street-type words: "12 Lê Lợi, P. Bến Nghé" ~ "12 Le Loi Phuong Ben Nghe"."""
    return _per_value(addresses, lambda text: _without_words(_fold(text), _ADDRESS_DESIGNATORS))


def city_key(cities: pd.Series) -> pd.Series:
    """Folded city without spaces or "city"/"thanh pho" words, with common aliases (HCM, Saigon)."""
    return _per_value(cities, _city_key)


def mask_overused(keys: pd.Series, max_records: int = MAX_RECORDS_PER_VALUE) -> pd.Series:
    """Missing where one value is shared by more than `max_records` records.

    Such values are placeholders ("none@none.com", a shop's own phone), not identities: they must
    neither link records nor blow up the number of compared pairs.
    """
    if max_records < 1:
        raise ValueError(f"max_records must be at least 1, got {max_records}")
    codes, _ = pd.factorize(keys)
    counts = pd.Series(codes).map(pd.Series(codes).value_counts()).to_numpy()
    return keys.mask(counts > max_records)


def normalize_records(records: pd.DataFrame, *, default_country: str = DEFAULT_COUNTRY,
                      max_records_per_value: int = MAX_RECORDS_PER_VALUE,
                      today: date | None = None) -> pd.DataFrame:
    """Comparison columns for a record frame (from `records.to_record_frame`), same index.

    Columns: name_key, name_tokens, email, email_key, phone, date_of_birth (ISO text), address_key,
    city_key, postcode, loyalty_card. Email, phone and loyalty values shared by more than
    `max_records_per_value` records are treated as missing.
    """
    country = records["country"]
    keys = mask_overused(email_key(records["email"]), max_records_per_value)
    phones = normalize_phone(records["phone"], country, default_country=default_country)
    dob = parse_birth_dates(records["date_of_birth"], country, default_country=default_country,
                            today=today)
    names = name_key(records["full_name"])
    return pd.DataFrame(
        {
            "name_key": names,
            "name_tokens": _words(names),
            "email": normalize_email(records["email"]).where(keys.notna()),
            "email_key": keys,
            "phone": mask_overused(phones, max_records_per_value),
            "date_of_birth": dob.dt.strftime("%Y-%m-%d").astype("string"),
            "address_key": address_key(records["address"]),
            "city_key": city_key(records["city"]),
            "postcode": normalize_postcode(records["postcode"]),
            "loyalty_card": mask_overused(normalize_loyalty_card(records["loyalty_card"]),
                                          max_records_per_value),
        },
        index=records.index,
    )


def _per_value(values: pd.Series, rule: Callable[[str], str | None]) -> pd.Series:
    """`rule` applied once per distinct non-missing value; the result has the input's index."""
    codes, distinct = pd.factorize(values.astype("string"))
    mapped = pd.array([rule(v) for v in distinct], dtype="string")
    return pd.Series(mapped.take(codes, allow_fill=True), index=values.index, dtype="string")


def _words(keys: pd.Series) -> pd.Series:
    """Space-separated text -> Arrow list of words (vectorised; str.split is slow on Arrow text)."""
    words = pc.split_pattern(pa.array(keys.array), " ")
    return pd.Series(pd.arrays.ArrowExtensionArray(words), index=keys.index)


def _fold(text: str) -> str | None:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    bare = _MARKS_ON_ALPHABETS.sub("", decomposed)
    if bare.isascii():
        return _NOT_ALPHANUMERIC.sub(" ", bare.lower()).strip() or None
    composed = unicodedata.normalize("NFC", _VARIATION_SELECTORS.sub("", bare).casefold())
    kept = "".join(c if _is_name_character(c) else " " for c in composed)
    return _SPACED_CJK.sub("", " ".join(kept.split())) or None


@functools.lru_cache(maxsize=8192)
def _is_name_character(char: str) -> bool:
    """Letters, digits and marks of any script, emoji and the joiners inside emoji and Persian words."""
    category = unicodedata.category(char)
    return (category[0] in "LNM" or category == "So" or char in _JOINERS
            or ord(char) in _SKIN_TONES)


def _name_key(text: str) -> str | None:
    folded = _fold(text)
    return " ".join(sorted(_FORMAL_NAMES.get(w, w) for w in folded.split())) if folded else None


def _clean_email(text: str) -> str | None:
    email = "".join(text.split()).lower()
    return email if _EMAIL_SHAPE.fullmatch(email) else None


def _email_key(text: str) -> str | None:
    email = _clean_email(text)
    if email is None:
        return None
    local, domain = email.rsplit("@", 1)
    domain = _DOMAIN_ALIASES.get(domain, domain)
    if domain in _PLUS_TAG_PROVIDERS:
        local = local.split("+", 1)[0]
    if domain in _DOT_BLIND_PROVIDERS:
        local = local.replace(".", "")
    return f"{local}@{domain}" if local else None


def _city_key(text: str) -> str | None:
    words = _without_words(_fold(text), _CITY_DESIGNATORS)
    key = words.replace(" ", "") if words else None
    return _CITY_ALIASES.get(key, key) if key else None


def _without_words(text: str | None, words: frozenset[str]) -> str | None:
    if text is None:
        return None
    return " ".join(w for w in text.split() if w not in words) or None


def _iso_birth_date(text: str, month_first: bool, today: date) -> str | None:
    """One birth date as ISO text, or None when unreadable, a placeholder or out of range."""
    parsed = _read_date(_TIME_OF_DAY.sub("", text.strip().lower()), month_first)
    if parsed is None or parsed in PLACEHOLDER_BIRTH_DATES or not date(1900, 1, 1) <= parsed <= today:
        return None
    return parsed.isoformat()


def _read_date(text: str, month_first: bool) -> date | None:
    if match := _YEAR_FIRST.fullmatch(text):
        y, m, d = (int(g) for g in match.groups() if g is not None)
        return _date(y, m, d)
    if match := _YEAR_LAST.fullmatch(text):
        a, b, y = (int(g) for g in match.groups())
        first, second = (_date(y, a, b), _date(y, b, a)) if month_first else (_date(y, b, a), _date(y, a, b))
        return first or second
    if match := _WORDS_DAY_FIRST.fullmatch(text):
        d, month, y = match.groups()
        return _date(int(y), _MONTHS.get(month, 0), int(d))
    if match := _WORDS_MONTH_FIRST.fullmatch(text):
        month, d, y = match.groups()
        return _date(int(y), _MONTHS.get(month, 0), int(d))
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_country(country: str) -> None:
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default_country '{country}' is not an ISO 3166 alpha-2 region code "
                         f"known to phonenumbers (e.g. VN, US, GB)")


def _regions(countries: pd.Series | None, index: pd.Index, default_country: str) -> pd.Series:
    if countries is None:
        return pd.Series(default_country, index=index, dtype="string")
    region = countries.astype("string").str.upper()
    known = region.isin(phonenumbers.SUPPORTED_REGIONS).fillna(False).astype(bool)
    return region.where(known, default_country)
