"""Turn one audience of `insight audiences` into a campaign: id, rule, cutoff, model versions and
a random holdout control, stored immutably and logged to MLflow; treated and control lists written."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.atomic import atomic_file
from serving.campaigns import stats
from serving.campaigns.split import CONTROL, TREATED, split_control
from serving.campaigns.store import existing_campaign, save_campaign

DEFAULT_WINDOW_DAYS = 90
LIST_FILES = {TREATED: "treated.csv", CONTROL: "control.csv"}


@dataclass(frozen=True)
class Campaign:
    manifest: dict
    members: pd.DataFrame
    created: bool
    out: Path

    @property
    def warnings(self) -> list[str]:
        return self.manifest["warnings"]


def campaign_dir(campaign_id: str) -> Path:
    """Where a campaign's lists and reports go by default: beside the store, runs/campaigns/ID."""
    from serving.campaigns.store import store_path

    return store_path().parent / "campaigns" / campaign_id


def read_audience(audiences_dir: str | os.PathLike[str], audience: str) -> tuple[dict, dict, pd.DataFrame]:
    """The audiences summary, this audience's entry in it and its member list."""
    folder = Path(audiences_dir)
    summary_file = folder / "summary.json"
    if not summary_file.exists():
        raise FileNotFoundError(f"{summary_file}: not found; give --audiences a directory written by "
                                "`insight audiences`")
    summary = json.loads(summary_file.read_text())
    entries = {a["audience"]: a for a in summary["audiences"]}
    if audience not in entries:
        raise ValueError(f"{folder}: no audience '{audience}'; these exist: {', '.join(entries)}")
    members = pd.read_csv(folder / f"{audience}.csv", dtype={"customer_id": str})
    if members.empty:
        raise ValueError(f"{folder / (audience + '.csv')}: the audience is empty; there is nobody to campaign to")
    return summary, entries[audience], members


def create_campaign(audiences_dir: str | os.PathLike[str], audience: str, *, campaign_id: str | None = None,
                    control_share: float | None = None, stratify: tuple[str, ...] = (),
                    window_days: int = DEFAULT_WINDOW_DAYS, out: str | os.PathLike[str] | None = None,
                    store: str | os.PathLike[str] | None = None, track: bool = True,
                    now: dt.datetime | None = None) -> Campaign:
    """Split the audience into treated and control, store the campaign and write its lists.

    The id defaults to AUDIENCE-AS_OF, so the same audience of the same scores is one campaign.
    The share defaults to the audience's `control_share` in the rules the lists were made with.
    """
    if window_days < 1:
        raise ValueError(f"the campaign window must be at least one day, got {window_days}")
    summary, entry, members = read_audience(audiences_dir, audience)
    as_of = summary.get("as_of")
    if as_of is None:
        raise ValueError(f"{audiences_dir}: summary.json has no as_of; rerun `insight audiences` on `insight score` output")
    campaign_id = campaign_id or f"{audience}-{as_of}"
    share = control_share if control_share is not None else entry.get("control_share", 0.1)
    split = split_control(members, campaign_id, share, stratify)
    n_control = int((split["group"] == CONTROL).sum())
    n_treated = len(split) - n_control
    if n_control < 2 or n_treated < 2:
        raise ValueError(f"audience '{audience}' has {len(split)} customers: too few to hold out a control "
                         f"group of {share:.0%} and still treat anyone; widen the audience or raise the share")

    found = existing_campaign(campaign_id, split, store)
    if found is None:
        manifest = _manifest(campaign_id, audience, entry, summary, split, share, stratify, window_days,
                             audiences_dir, now or dt.datetime.now(dt.UTC))
        if track:
            from serving.campaigns.tracking import log_campaign

            manifest["mlflow_run_id"] = log_campaign(manifest, split)
        found = save_campaign(manifest, split, store)
    target = Path(out) if out is not None else campaign_dir(campaign_id)
    write_lists(found.manifest, split, target)
    return Campaign(found.manifest, split, found.created, target)


def _manifest(campaign_id: str, audience: str, entry: dict, summary: dict, split: pd.DataFrame, share: float,
              stratify: tuple[str, ...], window_days: int, audiences_dir, now: dt.datetime) -> dict:
    n_control = int((split["group"] == CONTROL).sum())
    n_treated = len(split) - n_control
    base = float(split["p_purchase_90d"].mean()) if "p_purchase_90d" in split else None
    minimum = int(summary.get("min_control_size", 100))
    detectable = stats.detectable_lift(base, n_treated, n_control) if base is not None else None
    warnings = []
    if n_control < minimum:
        warnings.append(f"the control group has {n_control} customers, fewer than the minimum of {minimum}: "
                        "too small to measure any but a very large effect")
    as_of = dt.date.fromisoformat(summary["as_of"])
    return {
        "campaign_id": campaign_id,
        "audience": audience,
        "description": summary.get("descriptions", {}).get(audience, ""),
        "rule": entry["rule"],
        "as_of": as_of.isoformat(),
        "starts": (as_of + dt.timedelta(days=1)).isoformat(),
        "window_days": window_days,
        "model_versions": summary.get("model_versions", {}),
        "control_share": share,
        "stratify": list(stratify),
        "treated_customers": n_treated,
        "control_customers": n_control,
        "min_control_size": minimum,
        "baseline_conversion": base,
        "detectable_lift": detectable,
        "power_note": power_note(detectable, base),
        "warnings": warnings,
        "audiences_dir": str(Path(audiences_dir).resolve()),
        "created_at": now.isoformat(timespec="seconds"),
    }


def power_note(detectable: float | None, base: float | None) -> str:
    """One sentence on the conversion lift this split can detect."""
    if detectable is None or base is None:
        return "no baseline conversion rate to size the control against"
    return (f"with these group sizes a conversion lift of {100 * detectable:.1f} pp or more (on a base of "
            f"{100 * base:.1f} %) is detected with 80 % power at the 5 % level")


def write_lists(manifest: dict, split: pd.DataFrame, out: Path) -> Path:
    """treated.csv (the list to export), control.csv (hold out: do not contact) and manifest.json."""
    for group, name in LIST_FILES.items():
        with atomic_file(out / name) as tmp:
            split[split["group"] == group].drop(columns="group").to_csv(tmp, index=False)
    with atomic_file(out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2))
    return out
