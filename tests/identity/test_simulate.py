"""The identity simulator: seeded, several sources per person, realistic noise, true person ids."""

from __future__ import annotations

import pandas as pd
import pytest

from features.identity.normalize import name_key, normalize_phone
from features.identity.records import RECORD_COLUMNS
from features.identity.simulate import SOURCES, TRUTH_COLUMN, Noise, simulate_records


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return simulate_records(1000, seed=3)


def test_same_seed_same_records_and_keys_are_unique(records: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(records, simulate_records(1000, seed=3))
    assert not records.equals(simulate_records(1000, seed=4))
    assert list(records.columns) == [*RECORD_COLUMNS, TRUTH_COLUMN]
    assert not records.duplicated(["source", "source_customer_id"]).any()


def test_people_have_accounts_in_several_sources(records: pd.DataFrame) -> None:
    per_person = records.groupby(TRUTH_COLUMN).size()
    assert records[TRUTH_COLUMN].nunique() == 1000
    assert 2.2 <= per_person.mean() <= 2.8
    assert (per_person >= 3).mean() > 0.3
    assert set(records["source"]) == set(SOURCES)


def test_records_of_one_person_are_written_differently(records: pd.DataFrame) -> None:
    named = records.dropna(subset=["full_name"])
    raw_variants = named.groupby(TRUTH_COLUMN)["full_name"].nunique()
    key_variants = pd.Series(name_key(named["full_name"]).to_numpy(), index=named.index).groupby(
        named[TRUTH_COLUMN]).nunique()
    assert (raw_variants > key_variants).mean() > 0.2, "folding removes much of the name noise"
    phones = records.dropna(subset=["phone"])
    assert phones["phone"].str.startswith("+").mean() > 0.2
    assert phones["phone"].str.startswith("0").mean() > 0.2
    assert normalize_phone(phones["phone"], phones["country"]).notna().mean() > 0.95
    assert records["email"].str.contains("+", regex=False).any()
    assert records["date_of_birth"].str.contains("/").any() and records["date_of_birth"].str.contains("-").any()


def test_households_share_contacts_across_different_people(records: pd.DataFrame) -> None:
    phones = records.assign(e164=normalize_phone(records["phone"], records["country"])).dropna(subset=["e164"])
    people_per_phone = phones.groupby("e164")[TRUTH_COLUMN].nunique()
    assert (people_per_phone > 1).sum() > 5


def test_noise_probabilities_are_checked() -> None:
    with pytest.raises(ValueError, match="Noise.name_typo must be a probability"):
        Noise(name_typo=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        simulate_records(0, seed=1)
