"""Which unified customer an event belongs to: the id map of `insight resolve`, then contacts.

An event carries a system's customer id, a customer id, an email or a phone. The id map re-keys
(source, source_customer_id) exactly as transactions are re-keyed (`apply_id_map`); emails and
phones are looked up among the contacts of the golden records written beside the id map. A
contact shared by several unified customers (a household's email) names nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.identity.normalize import email_key
from features.identity.resolve import GOLDEN_FILE
from features.ingest.id_map import ID_MAP_COLUMNS, apply_id_map

KEYED_BY: dict[str, str] = {
    "id_map": "source and source customer id found in the id map",
    "customer_id": "the customer id the source gave",
    "email": "email found among the resolved customers' contacts",
    "phone": "phone found among the resolved customers' contacts",
    "same_device": "a source id (device, browser) that other events of the file tie to one customer id",
    "source_id": "a source customer id unknown to the id map (kept as the customer id)",
    "email_unresolved": "an email unknown to the resolved customers (a prospect, keyed by the email)",
    "phone_unresolved": "a phone unknown to the resolved customers (a prospect, keyed by the phone)",
}
"""How each accepted event got its customer_id, as counted in the quality report."""


@dataclass(frozen=True)
class Identity:
    """The id map and the contact lookups built from the golden records (empty without them)."""

    id_map: pd.DataFrame
    emails: pd.Series
    phones: pd.Series
    ambiguous_emails: frozenset[str] = frozenset()
    ambiguous_phones: frozenset[str] = frozenset()

    @classmethod
    def from_frames(cls, id_map: pd.DataFrame, golden: pd.DataFrame | None = None) -> Identity:
        """Lookups from an id map and (optionally) its golden records."""
        if golden is None or golden.empty:
            empty = pd.Series(dtype="string")
            return cls(id_map, empty, empty)
        emails, shared_emails = _unique_owner(email_key(golden["email"].astype("string")), golden["customer_id"])
        phones, shared_phones = _unique_owner(golden["phone"].astype("string"), golden["customer_id"])
        return cls(id_map, emails, phones, shared_emails, shared_phones)

    @classmethod
    def read(cls, id_map_path: str | Path) -> Identity:
        """The id map file and, when present, the golden records beside it."""
        path = Path(id_map_path)
        golden = path.parent / GOLDEN_FILE
        return cls.from_frames(pd.read_parquet(path),
                               pd.read_parquet(golden, columns=["customer_id", "email", "phone"])
                               if golden.exists() else None)


def _same_device(given: pd.Series, source: pd.Series, source_id: pd.Series) -> pd.Series:
    """Per row, the one customer id that rows with the same (source, source id) carry, if any."""
    device = source.fillna("") + "\x1f" + source_id
    owners, _ = _unique_owner(device.where(given.notna()), given)
    return device.map(owners).astype("string")


def _unique_owner(keys: pd.Series, owners: pd.Series) -> tuple[pd.Series, frozenset[str]]:
    """key -> customer for keys held by exactly one customer, and the set of shared keys."""
    pairs = pd.DataFrame({"key": keys.to_numpy(), "owner": owners.astype("string").to_numpy()}).dropna()
    pairs = pairs.drop_duplicates()
    counts = pairs["key"].value_counts()
    shared = frozenset(counts.index[counts > 1].astype(str))
    single = pairs[~pairs["key"].isin(shared)]
    return pd.Series(single["owner"].to_numpy(), index=pd.Index(single["key"].to_numpy()), dtype="string"), shared


def assign_customers(keys: pd.DataFrame, identity: Identity | None) -> pd.DataFrame:
    """customer_id, source, source_customer_id and `keyed_by` (see KEYED_BY) per row of `keys`
    (columns customer_id, source, source_customer_id, email (normalised), phone (E.164), all
    nullable), and `ambiguous` where the only key is a contact several customers share.

    Order: the id map; the customer id given; the email, then the phone, among the contacts; the
    customer other rows with the same source id name (a signed-out visit on a device that signed in
    before or after); else the row keeps its own key.
    """
    index = keys.index
    given = keys["customer_id"].astype("string")
    source = keys["source"].astype("string")
    source_id = keys["source_customer_id"].astype("string")
    email = keys["email"].astype("string")
    phone = keys["phone"].astype("string")
    customer = pd.Series(pd.NA, index=index, dtype="string")
    keyed_by = pd.Series(pd.NA, index=index, dtype="string")
    ambiguous = pd.Series(False, index=index)

    def take(mask: pd.Series, values: pd.Series, how: str) -> None:
        new = mask & customer.isna() & values.notna()
        customer[new] = values[new]
        keyed_by[new] = how

    if identity is not None and source.notna().any():
        marker = pd.Series(pd.NA, index=index, dtype="string")
        frame = pd.DataFrame({"customer_id": marker, "source": source, "source_customer_id": source_id})
        take(pd.Series(True, index=index), apply_id_map(frame, identity.id_map[list(ID_MAP_COLUMNS)])["customer_id"],
             "id_map")
    take(pd.Series(True, index=index), given, "customer_id")
    if identity is not None:
        mailbox = email_key(email)
        take(pd.Series(True, index=index), mailbox.map(identity.emails).astype("string"), "email")
        take(pd.Series(True, index=index), phone.map(identity.phones).astype("string"), "phone")
        ambiguous = customer.isna() & (mailbox.isin(identity.ambiguous_emails) & email.notna()
                                       | phone.isin(identity.ambiguous_phones) & phone.notna())
    take(~ambiguous, _same_device(given, source, source_id), "same_device")
    take(~ambiguous, source_id, "source_id")
    take(~ambiguous, email, "email_unresolved")
    take(~ambiguous, phone, "phone_unresolved")
    contact_source = pd.Series(pd.NA, index=index, dtype="string")
    contact_source[email.notna()] = "email"
    contact_source[email.isna() & phone.notna()] = "phone"
    has_source_id = source_id.notna()
    return pd.DataFrame({
        "customer_id": customer,
        "source": source.where(has_source_id, contact_source),
        "source_customer_id": source_id.where(has_source_id, email.fillna(phone)),
        "keyed_by": keyed_by,
        "ambiguous": ambiguous.astype(bool),
    }, index=index)
