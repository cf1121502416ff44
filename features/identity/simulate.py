"""Simulated customer records with ground truth, for testing and measuring identity resolution.

Each simulated person (Vietnam is the main market; also US, GB, AU, SG, DE, FR) has an identity
and appears in one to five source systems (web, app, store, loyalty, marketplace), sometimes twice
in one. Every record is written the way that source would write it, with realistic noise: name
typos, dropped diacritics, swapped word order, missing middle names, nicknames, phone numbers in
national and international formats, Gmail dot and +tag variants, second emails and phones, moves,
birth dates in several formats (month-first in the US) and placeholders, and missing fields.
Households share an address and sometimes one email or phone; common names (Nguyen Van Anh) recur
by their real frequency. The true person is in `person_id`. Same seed, same records.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

import pandas as pd
import phonenumbers

from features.identity.records import RECORD_COLUMNS, to_record_frame

TRUTH_COLUMN = "person_id"
SOURCES: tuple[str, ...] = ("web", "app", "store", "loyalty", "marketplace")
PERIOD_START = pd.Timestamp("2018-01-01", tz="UTC")
PERIOD_DAYS = 7 * 365
_DAY = 86_400


@dataclass(frozen=True)
class Noise:
    """Probabilities of each kind of noise, per record unless stated (defaults used for the
    acceptance figures in docs/identity.md)."""

    name_typo: float = 0.04
    name_ascii: float = 0.4
    name_reordered: float = 0.12
    middle_name_dropped: float = 0.1
    nickname: float = 0.3
    name_case: float = 0.15
    email_case: float = 0.1
    email_gmail_dots: float = 0.2
    email_plus_tag: float = 0.05
    email_typo: float = 0.015
    second_email_person: float = 0.15
    second_email_used: float = 0.3
    phone_typo: float = 0.015
    second_phone_person: float = 0.1
    second_phone_used: float = 0.3
    moved_person: float = 0.08
    address_abbreviated: float = 0.3
    address_typo: float = 0.04
    dob_typo: float = 0.02
    dob_placeholder: float = 0.01
    placeholder_contact: float = 0.02
    duplicate_account: float = 0.05
    household_person: float = 0.25
    household_shared_email: float = 0.25
    household_shared_phone: float = 0.25
    household_shared_used: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Noise.{f.name} must be a probability in [0, 1], got {value}")


def _pool(text: str) -> list[str]:
    return [w.replace("_", " ") for w in text.split()]


_VN_FAMILY = _pool("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh "
                   "Đào Mai Lương Trương Tạ Cao")
_VN_FAMILY_CUMULATIVE = tuple(accumulate([38, 11, 9.5, 7.1, 3, 2.1, 4.5, 2, 1.9, 2.1, 2, 1.4, 1.3, 1.3, 1,
                                           0.5, 0.5, 0.4, 0.4, 0.3, 0.3, 0.3, 0.2, 0.2]))
_VN_MIDDLE = {"M": _pool("Văn Đức Minh Quốc Hữu Thanh Công Hoàng Tuấn Ngọc Xuân Gia"),
              "F": _pool("Thị Ngọc Thu Thanh Minh Phương Hồng Kim Mỹ Bảo Thùy Khánh")}
_VN_GIVEN = {
    "M": _pool("Anh Hùng Dũng Tuấn Minh Hải Nam Long Quân Huy Khoa Phúc Thắng Sơn Trung Tùng Đạt Duy "
               "Hiếu Khánh Bảo Vinh Tài Thành Lâm Phong Hoàng Quang Cường Việt Hưng Nghĩa Thịnh Toàn "
               "Kiên Lợi Tâm Trí Đức Hào"),
    "F": _pool("Lan Hương Linh Trang Ngọc Mai Hà Thảo Hạnh Huyền Nhung Phương Anh Vy Hoa Yến Nga Loan "
               "Thủy Dung Giang Hằng Quỳnh Trâm Nhi Uyên Hiền Thúy Tuyết Oanh My Chi Diệp Ly Thư Vân "
               "Ánh Kim Duyên Thu"),
}
_EN_GIVEN = {
    "M": _pool("James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew "
               "Anthony Mark Paul Steven Andrew Joshua Kevin Brian George Edward Peter Oliver Jack "
               "Harry Lucas Noah Liam Ethan Samuel Benjamin Henry Alexander Christopher"),
    "F": _pool("Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emma Olivia "
               "Sophie Emily Charlotte Amelia Grace Chloe Lucy Hannah Anna Laura Rachel Megan Katherine "
               "Rebecca Victoria Jane Alice Ella"),
}
_EN_FAMILY = _pool("Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Jackson "
                   "White Harris Martin Thompson Moore Clark Lewis Walker Hall Young King Wright Scott "
                   "Green Baker Adams Hill Campbell Mitchell Roberts Carter Evans Turner O'Brien")
_DE_GIVEN = {"M": _pool("Lukas Jonas Felix Maximilian Jürgen Stefan Sören Björn Günther Tobias Paul Leon"),
             "F": _pool("Anna Lena Marie Sophie Käthe Jana Lea Hannah Jürgine Mia Emilia Greta")}
_DE_FAMILY = _pool("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer "
                   "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger Groß")
_FR_GIVEN = {"M": _pool("Jean Pierre Louis François Jérôme Benoît Hugo Théo Nicolas Émile Lucas Gabriel"),
             "F": _pool("Marie Camille Léa Chloé Hélène Océane Manon Inès Zoé Élodie Juliette Anaïs")}
_FR_FAMILY = _pool("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
                   "Lefèvre Michel Fournier Girard Bonnet Dupont Lambert Rousseau")
_SG_FAMILY = _pool("Tan Lim Lee Ng Ong Wong Goh Chua Chan Koh Teo Ang Yeo Tay Ho")
_SG_GIVEN = {"M": _pool("Wei_Ming Zhi_Hao Jun_Jie Kai_Wen Jia_Wei Yong_Sheng Wen_Jie Jian_Hong"),
             "F": _pool("Xiu_Ling Jia_Hui Hui_Min Mei_Ling Li_Ting Yi_Xuan Shu_Fen Pei_Shan")}
_NICKNAMES = {"William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Michael": "Mike", "James": "Jim",
              "Katherine": "Kate", "Richard": "Rick", "Joseph": "Joe", "Thomas": "Tom", "Charles": "Charlie",
              "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve", "Andrew": "Andy",
              "Rebecca": "Becky", "Victoria": "Vicky", "Christopher": "Chris", "Alexander": "Alex",
              "Benjamin": "Ben", "Samuel": "Sam", "Jennifer": "Jenny", "Patricia": "Pat", "Edward": "Ed"}

_VN_STREETS = _pool("Lê_Lợi Nguyễn_Huệ Trần_Hưng_Đạo Hai_Bà_Trưng Lý_Thường_Kiệt Điện_Biên_Phủ "
                    "Cách_Mạng_Tháng_Tám Võ_Văn_Tần Pasteur Nam_Kỳ_Khởi_Nghĩa Lê_Duẩn Phan_Đình_Phùng "
                    "Nguyễn_Trãi Lạc_Long_Quân Hoàng_Diệu Bạch_Đằng Quang_Trung Nguyễn_Văn_Cừ "
                    "Trường_Chinh Láng_Hạ Kim_Mã Xuân_Thủy Phạm_Văn_Đồng Lê_Văn_Sỹ Hoàng_Văn_Thụ")
_VN_CITIES = [("Hồ Chí Minh", 40, "700000"), ("Hà Nội", 30, "100000"), ("Đà Nẵng", 8, "550000"),
              ("Hải Phòng", 6, "180000"), ("Cần Thơ", 5, "900000"), ("Biên Hòa", 3, "810000"),
              ("Nha Trang", 3, "650000"), ("Huế", 2, "530000"), ("Vũng Tàu", 2, "790000"),
              ("Buôn Ma Thuột", 1, "630000")]
_EN_STREETS = _pool("Oak Maple Cedar Elm Park Church High Station Victoria Mill King Queen Green Baker "
                    "Hill Lake Sunset Washington Main George")
_DE_STREETS = _pool("Haupt Schul Garten Bahnhof Dorf Berg Linden Kirch Wald Ring")
_FR_STREETS = _pool("de_la_Paix Victor_Hugo de_la_République Pasteur Jean_Jaurès du_Moulin des_Écoles")
_CITIES = {
    "US": ["New York", "San Francisco", "Chicago", "Boston", "Seattle", "Austin"],
    "GB": ["London", "Manchester", "Birmingham", "Leeds", "Bristol"],
    "AU": ["Sydney", "Melbourne", "Brisbane", "Perth"],
    "SG": ["Singapore"],
    "DE": ["Berlin", "München", "Köln", "Düsseldorf", "Hamburg"],
    "FR": ["Paris", "Lyon", "Marseille", "Nice", "Toulouse"],
}
_COUNTRIES = {"VN": 70, "US": 7, "GB": 6, "AU": 5, "SG": 5, "DE": 4, "FR": 3}
_EMAIL_DOMAINS = {
    "VN": ["gmail.com"] * 12 + ["yahoo.com", "yahoo.com.vn", "outlook.com", "hotmail.com", "icloud.com",
                                "fpt.com.vn", "viettel.vn"],
    "DE": ["gmail.com"] * 4 + ["gmx.de", "web.de", "t-online.de", "outlook.com"],
    "FR": ["gmail.com"] * 4 + ["orange.fr", "free.fr", "hotmail.fr", "outlook.com"],
}
_EMAIL_DOMAINS_DEFAULT = ["gmail.com"] * 5 + ["yahoo.com", "outlook.com", "hotmail.com", "icloud.com"]
_MOBILE_PREFIXES = {
    "VN": ["90", "91", "93", "94", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",
           "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88"],
    "US": ["212", "415", "312", "617", "206", "512", "305", "702"],
    "GB": ["77", "78", "75"], "AU": ["4"], "SG": ["8", "9"], "DE": ["151", "160", "170", "176"],
    "FR": ["6", "7"],
}
_MOBILE_LENGTH = {"VN": 9, "US": 10, "GB": 10, "AU": 9, "SG": 8, "DE": 11, "FR": 9}
_PHONE_LAYOUT = {  # trunk prefix, national digit groups, international digit groups
    "VN": ("0", (4, 3, 3), (3, 3, 3)), "US": ("", (3, 3, 4), (3, 3, 4)),
    "GB": ("0", (5, 6), (4, 6)), "AU": ("0", (4, 3, 3), (3, 3, 3)), "SG": ("", (4, 4), (4, 4)),
    "DE": ("0", (5, 7), (4, 7)), "FR": ("0", (2, 2, 2, 2, 2), (1, 2, 2, 2, 2)),
}
_SOURCE_WEIGHTS = {"web": 0.3, "app": 0.25, "store": 0.2, "loyalty": 0.15, "marketplace": 0.1}
_FIELD_PRESENCE = {  # name, email, phone, date_of_birth, address, loyalty_card
    "web": (0.95, 1.0, 0.9, 0.3, 0.7, 0.05),
    "app": (0.9, 0.75, 1.0, 0.4, 0.4, 0.25),
    "store": (0.6, 0.15, 0.9, 0.1, 0.05, 0.7),
    "loyalty": (1.0, 0.6, 0.95, 0.85, 0.6, 1.0),
    "marketplace": (1.0, 0.05, 0.95, 0.0, 1.0, 0.0),
}
_ASCII_SOURCES = {"store": 0.7, "marketplace": 0.7}
_SOURCES_PER_PERSON = ([1, 2, 3, 4, 5], [0.30, 0.28, 0.22, 0.13, 0.07])
_PLACEHOLDER_EMAILS = ["noemail@gmail.com", "none@none.com", "khongco@gmail.com"]
_PLACEHOLDER_PHONES = ["0123456789", "0000000000", "0999999999"]


@dataclass
class _Person:
    person_id: str
    country: str
    gender: str
    given: str
    middle: str
    family: str
    birth: date
    emails: list[str]
    phones: list[tuple[str, str]]
    addresses: list[tuple[str, str, str]]
    loyalty_card: str | None
    first_seen_day: int


def simulate_records(n_people: int, *, seed: int, noise: Noise = Noise()) -> pd.DataFrame:
    """Customer records of `n_people` simulated people (about 2.5 records each).

    Returns the record contract's columns plus `person_id`, the truth. Deterministic in `seed`.
    """
    if n_people < 1:
        raise ValueError(f"n_people must be at least 1, got {n_people}")
    rng = random.Random(seed)
    people = _people(n_people, rng, noise)
    rows: list[dict[str, object]] = []
    used_ids: set[str] = set()
    for person in people:
        for source in _sources_for(person, rng, noise):
            rows.append(_record(person, source, _source_id(source, rng, used_ids), rng, noise))
    frame = pd.DataFrame(rows)
    for column in ("created_at", "updated_at"):
        frame[column] = PERIOD_START + pd.to_timedelta(frame[column], unit="s")
    truth = frame[TRUTH_COLUMN].astype("string")
    out = to_record_frame(frame)
    out[TRUTH_COLUMN] = truth.to_numpy()
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)[[*RECORD_COLUMNS, TRUTH_COLUMN]]


def _people(n_people: int, rng: random.Random, noise: Noise) -> list[_Person]:
    """People, some living in households that share an address, a family name, an email or phone."""
    used_emails: set[str] = set()
    used_cards: set[str] = set()
    people: list[_Person] = []
    while len(people) < n_people:
        head = _new_person(len(people), rng, noise, used_emails, used_cards, None)
        people.append(head)
        if rng.random() < noise.household_person / 2:
            size = rng.choice([1, 1, 2, 3])
            members = [head]
            for _ in range(min(size, n_people - len(people))):
                member = _new_person(len(people), rng, noise, used_emails, used_cards, head)
                people.append(member)
                members.append(member)
            _share_contacts(members, rng, noise)
    return people


def _new_person(index: int, rng: random.Random, noise: Noise, used_emails: set[str],
                used_cards: set[str], head: _Person | None) -> _Person:
    country = head.country if head else _weighted(rng, _COUNTRIES)
    gender = rng.choice("MF")
    given, middle, family = _name(country, gender, rng)
    if head is not None and (rng.random() < 0.6 or country != "VN"):
        family = head.family
    start = PERIOD_START.date()
    if head is None:
        birth = start - timedelta(days=rng.randint(18 * 365, 75 * 365))
    else:
        gap = rng.choice([rng.randint(-6 * 365, 6 * 365), rng.randint(22 * 365, 35 * 365)])
        birth = min(head.birth + timedelta(days=gap), start - timedelta(days=16 * 365))
    emails = [_email(given, family, birth, country, rng, used_emails)]
    if rng.random() < noise.second_email_person:
        emails.append(_email(given, family, birth, country, rng, used_emails))
    phones = [_mobile(country, rng)]
    if rng.random() < noise.second_phone_person:
        phones.append(_mobile(country, rng))
    addresses = [head.addresses[0] if head else _address(country, rng)]
    if rng.random() < noise.moved_person:
        addresses.append(_address(country, rng))
    card = None
    if rng.random() < 0.55:
        card = _unique(lambda: "LC" + "".join(rng.choices("0123456789", k=10)), used_cards)
    return _Person(f"P{index + 1:07d}", country, gender, given, middle, family, birth, emails, phones,
                   addresses, card, rng.randint(0, PERIOD_DAYS - 365))


def _share_contacts(members: list[_Person], rng: random.Random, noise: Noise) -> None:
    """Household members sometimes give the household's email or phone instead of their own."""
    head = members[0]
    shared_email = head.emails[0] if rng.random() < noise.household_shared_email else None
    shared_phone = head.phones[0] if rng.random() < noise.household_shared_phone else None
    for member in members[1:]:
        if shared_email:
            member.emails.append(shared_email)
        if shared_phone:
            member.phones.append(shared_phone)


def _name(country: str, gender: str, rng: random.Random) -> tuple[str, str, str]:
    if country == "VN":
        family = rng.choices(_VN_FAMILY, cum_weights=_VN_FAMILY_CUMULATIVE)[0]
        return _zipf(_VN_GIVEN[gender], rng), _zipf(_VN_MIDDLE[gender], rng), family
    if country == "SG":
        return _zipf(_SG_GIVEN[gender], rng), "", _zipf(_SG_FAMILY, rng)
    given, family = {"DE": (_DE_GIVEN, _DE_FAMILY), "FR": (_FR_GIVEN, _FR_FAMILY)}.get(
        country, (_EN_GIVEN, _EN_FAMILY))
    return _zipf(given[gender], rng), "", _zipf(family, rng)


def _email(given: str, family: str, birth: date, country: str, rng: random.Random,
           used: set[str]) -> str:
    g, f = _ascii(given).lower().replace(" ", ""), _ascii(family).lower().replace(" ", "").replace("'", "")
    year = str(birth.year)
    local = rng.choice([f"{g}.{f}", f"{g}{f}", f"{f}{g}", f"{g}_{f}", f"{g}{f[0]}", f"{g}.{f}{year[2:]}",
                        f"{g}{year}", f"{f}.{g}"])
    if rng.random() < 0.5:
        local += str(rng.randint(1, 999))
    domain = rng.choice(_EMAIL_DOMAINS.get(country, _EMAIL_DOMAINS_DEFAULT))
    candidate = local
    while _mailbox(candidate, domain) in used:
        candidate = f"{local}{rng.randint(1, 9999)}"
    used.add(_mailbox(candidate, domain))
    return f"{candidate}@{domain}"


def _mailbox(local: str, domain: str) -> str:
    """What the provider delivers to: Gmail ignores dots, so a.b and ab are one mailbox."""
    return f"{local.replace('.', '') if domain == 'gmail.com' else local}@{domain}"


def _mobile(country: str, rng: random.Random) -> tuple[str, str]:
    """A valid mobile number as (region, national significant number)."""
    code = phonenumbers.country_code_for_region(country)
    while True:
        prefix = rng.choice(_MOBILE_PREFIXES[country])
        digits = prefix + "".join(rng.choices("0123456789", k=_MOBILE_LENGTH[country] - len(prefix)))
        if country == "VN":
            return country, digits
        number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
        if phonenumbers.is_valid_number_for_region(number, country):
            return country, digits


def _address(country: str, rng: random.Random) -> tuple[str, str, str]:
    """(street address, city, postcode) written the local way."""
    n = rng.randint(1, 300)
    if country == "VN":
        city, _, postcode = rng.choices(_VN_CITIES, weights=[c[1] for c in _VN_CITIES])[0]
        house = f"{n}/{rng.randint(1, 40)}" if rng.random() < 0.3 else str(n)
        street = f"{house} {rng.choice(_VN_STREETS)}, Phường {rng.randint(1, 15)}, Quận {rng.randint(1, 12)}"
        return street, city, postcode
    city = rng.choice(_CITIES[country])
    if country == "DE":
        return f"{rng.choice(_DE_STREETS)}straße {n}", city, f"{rng.randint(10000, 99999)}"
    if country == "FR":
        return f"{n} rue {rng.choice(_FR_STREETS)}", city, f"{rng.randint(10000, 95999)}"
    if country == "SG":
        return f"Blk {n} {rng.choice(_EN_STREETS)} Avenue {rng.randint(1, 9)}", city, f"{rng.randint(100000, 829999)}"
    kind = rng.choice(["Street", "Road", "Avenue", "Lane", "Drive"])
    street = f"{n} {rng.choice(_EN_STREETS)} {kind}"
    if country == "GB":
        letters = "ABCDEFGHJKLMNPRSTUWXYZ"
        postcode = (f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 20)} "
                    f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}")
        return street, city, postcode
    return street, city, f"{rng.randint(1000, 9999) if country == 'AU' else rng.randint(10000, 99999)}"


def _sources_for(person: _Person, rng: random.Random, noise: Noise) -> list[str]:
    """The systems this person has an account in (loyalty only with a card), duplicates included."""
    weights = dict(_SOURCE_WEIGHTS)
    if person.loyalty_card is None:
        del weights["loyalty"]
    count = min(rng.choices(*_SOURCES_PER_PERSON)[0], len(weights))
    chosen: list[str] = []
    while len(chosen) < count:
        source = _weighted(rng, weights)
        chosen.append(source)
        del weights[source]
    duplicates = [s for s in chosen if rng.random() < noise.duplicate_account]
    return chosen + duplicates


def _record(person: _Person, source: str, source_id: str, rng: random.Random,
            noise: Noise) -> dict[str, object]:
    p_name, p_email, p_phone, p_dob, p_address, p_card = _FIELD_PRESENCE[source]
    has_email, has_phone = rng.random() < p_email, rng.random() < p_phone
    has_card = person.loyalty_card is not None and rng.random() < p_card
    if not (has_email or has_phone or has_card):
        has_phone = True
    has_address = rng.random() < p_address
    country = person.country if has_address and rng.random() < (0.7 if person.country == "VN" else 0.95) else None
    created = (person.first_seen_day + rng.randint(0, 360)) * _DAY + rng.randint(0, _DAY - 1)
    updated = min(created + rng.randint(0, 700 * _DAY), PERIOD_DAYS * _DAY)
    row: dict[str, object] = {
        "source": source, "source_customer_id": source_id, TRUTH_COLUMN: person.person_id,
        "country": country, "created_at": created, "updated_at": updated,
        "full_name": _noisy_name(person, source, rng, noise) if rng.random() < p_name else None,
        "email": _noisy_email(person, source, rng, noise) if has_email else None,
        "phone": _noisy_phone(person, source, country, rng, noise) if has_phone else None,
        "date_of_birth": _noisy_birth(person, country, rng, noise) if rng.random() < p_dob else None,
        "loyalty_card": _noisy_card(person.loyalty_card, rng) if has_card else None,
    }
    if has_address:
        row["address"], row["city"], row["postcode"] = _noisy_address(person, country, rng, noise)
    return row


def _noisy_name(person: _Person, source: str, rng: random.Random, noise: Noise) -> str:
    given, middle, family = person.given, person.middle, person.family
    if given in _NICKNAMES and rng.random() < noise.nickname:
        given = _NICKNAMES[given]
    if middle and rng.random() < noise.middle_name_dropped:
        middle = ""
    family_first = person.country in ("VN", "SG")
    if rng.random() < noise.name_reordered:
        family_first = not family_first
    words = [family, middle, given] if family_first else [given, middle, family]
    name = " ".join(w for w in words if w)
    if rng.random() < noise.name_typo:
        name = _typo(name, rng)
    if rng.random() < max(noise.name_ascii, _ASCII_SOURCES.get(source, 0.0)):
        name = _ascii(name)
    if rng.random() < noise.name_case:
        name = rng.choice([name.upper(), name.lower()])
    return name


def _noisy_email(person: _Person, source: str, rng: random.Random, noise: Noise) -> str:
    if source == "store" and rng.random() < noise.placeholder_contact:
        return rng.choice(_PLACEHOLDER_EMAILS)
    email = _pick(person.emails, rng, noise.second_email_used)
    local, domain = email.split("@")
    if domain == "gmail.com" and rng.random() < noise.email_gmail_dots:
        local = local.replace(".", "") if "." in local else ".".join(_split_in_two(local, rng))
    if domain in ("gmail.com", "outlook.com", "hotmail.com", "icloud.com") and rng.random() < noise.email_plus_tag:
        local += "+" + rng.choice(["shop", "promo", source])
    if rng.random() < noise.email_typo:
        local = _typo(local, rng)
    email = f"{local}@{domain}"
    if rng.random() < noise.email_case:
        email = rng.choice([email.upper(), email.capitalize(), f" {email} "])
    return email


def _noisy_phone(person: _Person, source: str, country: str | None, rng: random.Random,
                 noise: Noise) -> str:
    """The number in a format the record's country (or Vietnam, the default) can read back."""
    if source == "store" and person.country == "VN" and rng.random() < noise.placeholder_contact:
        return rng.choice(_PLACEHOLDER_PHONES)
    country_of_number, digits = _pick(person.phones, rng, noise.second_phone_used)
    if rng.random() < noise.phone_typo:
        i = rng.randrange(max(1, len(digits) - 7), len(digits))
        digits = digits[:i] + rng.choice([d for d in "0123456789" if d != digits[i]]) + digits[i + 1:]
    readable_locally = country == person.country or person.country == "VN"
    return rng.choice(_phone_styles(country_of_number, digits, readable_locally))


@lru_cache(maxsize=65_536)
def _phone_styles(country: str, digits: str, readable_locally: bool) -> tuple[str, ...]:
    """Ways people write one mobile number; national forms only where the reader knows the country."""
    code = str(phonenumbers.country_code_for_region(country))
    trunk, national_groups, international_groups = _PHONE_LAYOUT[country]
    international = f"+{code} {_grouped(digits, international_groups)}"
    styles = [international, f"+{code}{digits}", international.replace(" ", "-")]
    if readable_locally:
        national = _grouped(trunk + digits, national_groups)
        if country == "US":
            national = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        styles += [national, national, trunk + digits, trunk + digits, national.replace(" ", ".")]
    if country == "VN":
        styles += [f"{code}{digits}", f"(+{code}) {_grouped(digits, international_groups)}"]
    return tuple(styles)


def _grouped(digits: str, sizes: tuple[int, ...]) -> str:
    groups, start = [], 0
    for size in sizes:
        groups.append(digits[start:start + size])
        start += size
    return " ".join(g for g in groups if g)


def _noisy_birth(person: _Person, country: str | None, rng: random.Random, noise: Noise) -> str:
    if rng.random() < noise.dob_placeholder:
        return rng.choice(["1900-01-01", "01/01/1900", "1970-01-01"])
    birth = person.birth
    if rng.random() < noise.dob_typo:
        birth = birth + timedelta(days=rng.choice([-1, 1, 365]))
    formats = ["%Y-%m-%d", "%d %B %Y", "%Y%m%d"]
    if country == "US":
        formats += ["%m/%d/%Y"] * 3
    elif country is not None or person.country == "VN":
        formats += ["%d/%m/%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
    return birth.strftime(rng.choice(formats))


def _noisy_address(person: _Person, country: str | None, rng: random.Random,
                   noise: Noise) -> tuple[str, str, str | None]:
    street, city, postcode = _pick(person.addresses, rng, 0.5)
    if rng.random() < noise.address_abbreviated:
        for long, short in (("Phường ", "P."), ("Quận ", "Q."), ("Street", "St"), ("Road", "Rd"),
                            ("Avenue", "Ave"), ("straße", "str."), ("Blk ", "Block ")):
            street = street.replace(long, short)
    if rng.random() < noise.address_typo:
        street = _typo(street, rng)
    if rng.random() < 0.4:
        street, city = _ascii(street), _ascii(city)
    if person.country == "VN" and rng.random() < 0.3:
        city = rng.choice([f"TP. {city}", f"Thành phố {city}", city.upper()])
    keep_postcode = rng.random() < (0.2 if person.country == "VN" else 0.9)
    if postcode and person.country == "GB" and rng.random() < 0.3:
        postcode = postcode.replace(" ", "").lower()
    return street, city, postcode if keep_postcode else None


def _noisy_card(card: str, rng: random.Random) -> str:
    digits = card[2:]
    return rng.choice([card, f"LC-{digits[:4]}-{digits[4:8]}-{digits[8:]}", f"lc {digits[:4]} {digits[4:8]} {digits[8:]}"])


def _typo(text: str, rng: random.Random) -> str:
    """One keyboard slip inside a word: a substituted, dropped, doubled or swapped letter."""
    positions = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()]
    if not positions:
        return text
    i = rng.choice(positions)
    kind = rng.choice(["substitute", "drop", "double", "swap"])
    if kind == "substitute":
        return text[:i] + rng.choice("aeioun") + text[i + 1:]
    if kind == "drop":
        return text[:i] + text[i + 1:]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1:]


@lru_cache(maxsize=262_144)
def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D").replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _pick(options: list, rng: random.Random, p_other: float):
    """The first (main) option, or with probability `p_other` one of the others."""
    if len(options) > 1 and rng.random() < p_other:
        return rng.choice(options[1:])
    return options[0]


def _split_in_two(word: str, rng: random.Random) -> tuple[str, str]:
    if len(word) < 2:
        return word, ""
    i = rng.randint(1, len(word) - 1)
    return word[:i], word[i:]


def _zipf(options: list[str], rng: random.Random) -> str:
    """Earlier options are more common: weight 1 / rank^0.9, like real name frequencies."""
    return rng.choices(options, cum_weights=_zipf_cumulative(len(options)))[0]


@lru_cache(maxsize=None)
def _zipf_cumulative(n: int) -> tuple[float, ...]:
    return tuple(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(n)))


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _unique(make, used: set[str]) -> str:
    while (value := make()) in used:
        pass
    used.add(value)
    return value


def _source_id(source: str, rng: random.Random, used: set[str]) -> str:
    return _unique(lambda: f"{source[:3].upper()}{rng.randint(0, 10**9 - 1):09d}", used)
