"""The golden record: one row per unified customer, built from its source records by survivorship.

Survivorship rules (docs/identity.md):
  * email, phone, loyalty card: the most recently updated record that has one (normalised forms);
  * name: the most frequent name (compared folded, in any word order), ties to the most recent;
    written as the most recent record wrote it;
  * date of birth: the most frequent readable one, ties to the most recent;
  * address, city, postcode, country: together, from the most recent record with an address;
  * first_seen: the earliest created_at (updated_at when a source has no creation time);
    last_updated: the latest updated_at;
  * sources and source_ids: every contributing system and "source:source_customer_id".
"""

from __future__ import annotations

import pandas as pd

GOLDEN_COLUMNS: tuple[str, ...] = (
    "customer_id", "full_name", "email", "phone", "date_of_birth", "address", "city", "postcode",
    "country", "loyalty_card", "first_seen", "last_updated", "n_records", "sources", "source_ids",
)
_ADDRESS_FIELDS = ("address", "city", "postcode", "country")


def golden_records(records: pd.DataFrame, normalized: pd.DataFrame, customer_ids: pd.Series) -> pd.DataFrame:
    """Golden records from `records` (the record contract), their `normalized` comparison columns
    and a customer id per record (all three on the same index), sorted by customer id."""
    if not (records.index.equals(normalized.index) and records.index.equals(customer_ids.index)):
        raise ValueError("records, normalised records and customer ids must share one index")
    frame = pd.DataFrame(
        {
            "customer_id": customer_ids.astype("string"),
            "source": records["source"],
            "source_customer_id": records["source_customer_id"],
            "raw_name": records["full_name"],
            "name_key": normalized["name_key"],
            "email": normalized["email"],
            "phone": normalized["phone"],
            "loyalty_card": normalized["loyalty_card"],
            "date_of_birth": normalized["date_of_birth"],
            **{f: records[f] for f in _ADDRESS_FIELDS},
            "seen": records["created_at"].fillna(records["updated_at"]),
            "updated_at": records["updated_at"],
        }
    )
    latest_first = frame.sort_values(
        ["customer_id", "updated_at", "source", "source_customer_id"],
        ascending=[True, False, True, True], na_position="last", kind="stable",
    )
    by_customer = latest_first.groupby("customer_id", sort=True)
    out = by_customer[["email", "phone", "loyalty_card"]].first()
    out["full_name"] = _most_frequent(latest_first, "name_key", "raw_name")
    out["date_of_birth"] = _most_frequent(latest_first, "date_of_birth", "date_of_birth")
    address = latest_first.dropna(subset=["address"]).drop_duplicates("customer_id")
    out = out.join(address.set_index("customer_id")[list(_ADDRESS_FIELDS)])
    out["first_seen"] = by_customer["seen"].min()
    out["last_updated"] = by_customer["updated_at"].max()
    out["n_records"] = by_customer.size().astype("int64")
    by_source = latest_first.sort_values(["customer_id", "source", "source_customer_id"], kind="stable")
    out["sources"] = by_source.drop_duplicates(["customer_id", "source"]).groupby("customer_id")["source"].agg(list)
    out["source_ids"] = (by_source["source"] + ":" + by_source["source_customer_id"]).groupby(
        by_source["customer_id"]).agg(list)
    return out.reset_index()[list(GOLDEN_COLUMNS)]


def _most_frequent(latest_first: pd.DataFrame, key: str, shown: str) -> pd.Series:
    """Per customer, `shown` of the most recent record carrying its most frequent `key`."""
    present = latest_first.dropna(subset=[key]).assign(shown_value=lambda d: d[shown])
    votes = present.groupby(["customer_id", key], sort=False).agg(
        n=("updated_at", "size"), latest=("updated_at", "max"), value=("shown_value", "first")
    ).reset_index()
    votes = votes.sort_values(["customer_id", "n", "latest", key], ascending=[True, False, False, True])
    return votes.drop_duplicates("customer_id").set_index("customer_id")["value"]
