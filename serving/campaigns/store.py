"""The durable campaign store: one SQLite file with every campaign's manifest and members.

A campaign is immutable once created: creating it again with the same members (same customers
in the same groups) returns the stored one; with different members it is refused. The file is
`INSIGHT_CAMPAIGNS` if set, else `runs/campaigns.db` (beside the MLflow store `mlruns/`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from serving.settings import ServingSettings


SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    campaign_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    members_digest TEXT NOT NULL,
    manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    campaign_id TEXT NOT NULL REFERENCES campaigns(campaign_id),
    customer_id TEXT NOT NULL,
    grp TEXT NOT NULL CHECK (grp IN ('treated', 'control')),
    stratum TEXT NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);
"""


class CampaignExists(ValueError):
    """The campaign id is taken by a campaign with other members."""


@dataclass(frozen=True)
class StoredCampaign:
    manifest: dict
    members: pd.DataFrame
    created: bool


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store file: `path`, else INSIGHT_CAMPAIGNS, else runs/campaigns.db."""
    return Path(path) if path else ServingSettings.from_env().campaigns


def members_digest(members: pd.DataFrame) -> str:
    """SHA-256 of the sorted (customer_id, group) pairs: equal digests, equal members."""
    pairs = sorted(zip(members["customer_id"].astype(str), members["group"], strict=True))
    return hashlib.sha256("\n".join(f"{c}\t{g}" for c, g in pairs).encode()).hexdigest()


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.executescript(SCHEMA)
    return con


def existing_campaign(campaign_id: str, members: pd.DataFrame,
                      path: str | os.PathLike[str] | None = None) -> StoredCampaign | None:
    """The stored campaign if `campaign_id` exists with these members, None if it does not
    exist; CampaignExists if it exists with other members."""
    file = store_path(path)
    if not file.exists():
        return None
    with closing(_connect(file)) as con:
        return _existing(con, file, campaign_id, members_digest(members))


def save_campaign(manifest: dict, members: pd.DataFrame, path: str | os.PathLike[str] | None = None) -> StoredCampaign:
    """Store a new campaign; the same campaign again is a no-op, other members are refused."""
    file = store_path(path)
    digest = members_digest(members)
    campaign_id = manifest["campaign_id"]
    with closing(_connect(file)) as con, con:
        found = _existing(con, file, campaign_id, digest)
        if found is not None:
            return found
        stored = {**manifest, "members_digest": digest}
        con.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?)",
                    (campaign_id, manifest["created_at"], digest, json.dumps(stored, sort_keys=True)))
        con.executemany("INSERT INTO members VALUES (?, ?, ?, ?)",
                        [(campaign_id, c, g, s) for c, g, s in
                         members[["customer_id", "group", "stratum"]].itertuples(index=False)])
        return StoredCampaign(*_read(con, campaign_id), created=True)


def load_campaign(campaign_id: str, path: str | os.PathLike[str] | None = None) -> StoredCampaign:
    """The stored manifest and members of `campaign_id`; LookupError naming the store if absent."""
    file = store_path(path)
    if not file.exists():
        raise LookupError(f"{file}: no campaign store here; create a campaign with `insight campaign create`")
    with closing(_connect(file)) as con:
        return StoredCampaign(*_read(con, campaign_id), created=False)


def list_campaigns(path: str | os.PathLike[str] | None = None) -> list[dict]:
    """Every stored manifest, oldest first."""
    file = store_path(path)
    if not file.exists():
        return []
    with closing(_connect(file)) as con:
        return [json.loads(m) for (m,) in con.execute("SELECT manifest FROM campaigns ORDER BY created_at")]


def _existing(con: sqlite3.Connection, file: Path, campaign_id: str, digest: str) -> StoredCampaign | None:
    row = con.execute("SELECT members_digest FROM campaigns WHERE campaign_id = ?", (campaign_id,)).fetchone()
    if row is None:
        return None
    if row[0] != digest:
        raise CampaignExists(f"campaign '{campaign_id}' already exists in {file} with other members; campaigns "
                             "are immutable, so give the new one another --id")
    return StoredCampaign(*_read(con, campaign_id), created=False)


def _read(con: sqlite3.Connection, campaign_id: str) -> tuple[dict, pd.DataFrame]:
    row = con.execute("SELECT manifest FROM campaigns WHERE campaign_id = ?", (campaign_id,)).fetchone()
    if row is None:
        known = [c for (c,) in con.execute("SELECT campaign_id FROM campaigns ORDER BY created_at")]
        raise LookupError(f"no campaign '{campaign_id}' in the store; known: {', '.join(known) or 'none'}")
    members = pd.read_sql_query(
        "SELECT customer_id, grp AS \"group\", stratum FROM members WHERE campaign_id = ? ORDER BY customer_id",
        con, params=(campaign_id,))
    return json.loads(row[0]), members
