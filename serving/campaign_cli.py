"""`insight campaign ...`: create campaigns with control groups, simulate them, report their lift."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from features.cli_options import fail, transactions_option

campaign_app = typer.Typer(help="Campaigns with random control groups: create, simulate, report, list.",
                           no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
warn = Console(stderr=True, soft_wrap=True, highlight=False)

StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Campaign store (SQLite); default INSIGHT_CAMPAIGNS or runs/campaigns.db.")]


@campaign_app.command("create")
def create(
    audiences: Annotated[Path, typer.Option(help="Directory written by `insight audiences`.")],
    audience: Annotated[str, typer.Option(help="The audience to campaign to, e.g. win_back.")],
    campaign_id: Annotated[str | None, typer.Option("--id", help="Campaign id (default: AUDIENCE-AS_OF).")] = None,
    control_share: Annotated[float | None, typer.Option(
        help="Share held out as control (default: the audience's control_share in the rules, else 0.1).")] = None,
    stratify: Annotated[str, typer.Option(help="Stratify the split by: segment, churn_band or both "
                                          "(comma-separated); empty for none.")] = "",
    window_days: Annotated[int, typer.Option(help="Days the campaign is measured over, from the day after "
                                             "the scores' cutoff.")] = 90,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where treated.csv, control.csv and manifest.json "
                                                 "go (default: runs/campaigns/ID beside the store).")] = None,
    store: StoreOption = None,
) -> None:
    """Turn an audience into a campaign with a random holdout control group.

    The split is deterministic from the campaign id and each customer id. The campaign is stored
    and logged to MLflow; creating it again with the same members changes nothing, with other
    members is refused. Only treated.csv is for export; control.csv must not be contacted.
    """
    from serving.campaigns.create import create_campaign
    from serving.campaigns.store import CampaignExists

    strata = tuple(s.strip() for s in stratify.split(",") if s.strip())
    try:
        campaign = create_campaign(audiences, audience, campaign_id=campaign_id, control_share=control_share,
                                   stratify=strata, window_days=window_days, out=out_dir, store=store)
    except CampaignExists as exc:
        fail(str(exc))
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    m = campaign.manifest
    state = "created" if campaign.created else "already stored with these members (unchanged)"
    out.print(f"campaign {m['campaign_id']} {state}: {m['treated_customers']:,} treated, "
              f"{m['control_customers']:,} control ({m['control_share']:.0%}), window {m['window_days']} days "
              f"from {m['starts']}")
    out.print(f"power: {m['power_note']}")
    for line in m["warnings"]:
        warn.print(f"[yellow]warning:[/] {line}")
    out.print(f"export {campaign.out / 'treated.csv'}; hold out {campaign.out / 'control.csv'}")


@campaign_app.command("report")
def report(
    campaign_id: Annotated[str, typer.Argument(help="The campaign id.")],
    transactions: transactions_option("the campaign window"),
    window: Annotated[int | None, typer.Option(help="Days measured from the campaign start (default: the "
                                               "campaign's window).")] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", help="Engagement events (`insight ingest-events` output): adds the open, click and visit "
        "rates of treated and control over the window.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where report.json/.txt/.html go "
                                                 "(default: the campaign's directory).")] = None,
    store: StoreOption = None,
) -> None:
    """Treated against control over the window: conversion, orders and revenue per customer (and
    with --events the open, click and visit rates), lift with 95 % intervals, incremental orders
    and revenue, a verdict and a power note."""
    from serving.campaigns.create import campaign_dir
    from serving.campaigns.report import campaign_report, report_html, report_table, write_report
    from serving.campaigns.store import load_campaign
    from serving.campaigns.tracking import log_report

    try:
        stored = load_campaign(campaign_id, store)
        result = campaign_report(stored, transactions, window, events)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    target = out_dir or campaign_dir(campaign_id)
    result["mlflow_run_id"] = log_report(result, report_table(result), report_html(result))
    files = write_report(result, target)
    out.print(report_table(result))
    out.print(f"written: {', '.join(str(p) for p in files.values())} (MLflow run {result['mlflow_run_id']})")


@campaign_app.command("simulate")
def simulate(
    campaign_id: Annotated[str, typer.Argument(help="A campaign made from scores of a simulated base.")],
    base: Annotated[Path, typer.Option(help="Directory written by `insight synth` (transactions + truth).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the transactions with the campaign "
                                          "applied and campaign_truth.parquet.")],
    effect: Annotated[float, typer.Option(help="Scale of the true effect (0 = a campaign that does nothing).")] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the campaign's effect.")] = 0,
    store: StoreOption = None,
) -> None:
    """Apply the campaign to its treated customers in a simulated base, with a heterogeneous true
    effect (persuadables, sure things, lost causes, sleeping dogs); writes the true lift too."""
    import pandas as pd

    from features.atomic import atomic_directory
    from features.schema import TRANSACTIONS_FILE, to_arrow
    from features.synth import TRUTH_FILE
    from features.synth.campaign import CampaignEffect, run_campaign
    from serving.campaigns.store import load_campaign

    try:
        stored = load_campaign(campaign_id, store)
        if not (base / TRUTH_FILE).exists():
            raise FileNotFoundError(f"{base / TRUTH_FILE}: not found; --base must be a directory written by "
                                    "`insight synth`")
        transactions = pd.read_parquet(base / TRANSACTIONS_FILE)
        truth = pd.read_parquet(base / TRUTH_FILE)
        m = stored.manifest
        run = run_campaign(transactions, truth, stored.members, m["starts"], m["window_days"],
                           CampaignEffect(scale=effect), seed=seed)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    import pyarrow.parquet as pq

    with atomic_directory(out_dir) as tmp:
        pq.write_table(to_arrow(run.transactions), tmp / TRANSACTIONS_FILE)
        run.truth.to_parquet(tmp / "campaign_truth.parquet", index=False)
    types = run.truth["response_type"].value_counts()
    out.print(f"campaign {campaign_id} simulated on {base}: true conversion lift {100 * run.true_lift:+.2f} pp over "
              f"the audience; " + ", ".join(f"{k}: {v:,}" for k, v in types.items()))
    out.print(f"written: {out_dir / TRANSACTIONS_FILE}, {out_dir / 'campaign_truth.parquet'}")


@campaign_app.command("uplift")
def uplift(
    campaign_ids: Annotated[list[str], typer.Option("--campaign", help="A finished campaign to learn from "
                                                    "(repeat for several).")],
    transactions: transactions_option("the campaigns' windows"),
    seed: Annotated[int, typer.Option(help="Seed of the model and of the held-out split.")] = 0,
    store: StoreOption = None,
) -> None:
    """Fit the uplift model (X-learner on LightGBM) on finished campaigns with control groups, judge
    it by the Qini coefficient on held-out members against random and churn-probability targeting,
    and register it in MLflow (champion only when it beats both and the current champion)."""
    from serving.campaigns.store import load_campaign
    from serving.campaigns.uplift import uplift_frame
    from training.uplift import fit_uplift
    from training.uplift_tracking import log_uplift_run

    try:
        frame = uplift_frame([load_campaign(c, store) for c in campaign_ids], transactions)
        outcome = fit_uplift(frame, seed=seed)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        fail(str(exc))
    run_id, registration = log_uplift_run(outcome, list(campaign_ids))
    c = outcome.counts
    out.print(f"{c['members']:,} members; fitted on {c['train']:,}, judged on {c['holdout']:,} held out "
              f"({c['holdout_treated']:,} treated, {c['holdout_control']:,} control)")
    out.print(outcome.evaluation.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    out.print(f"{registration.name} v{registration.version} -> {registration.alias}: {registration.reason}")
    out.print(f"MLflow run: {run_id}")


@campaign_app.command("list")
def list_(store: StoreOption = None) -> None:
    """Every stored campaign: id, audience, cutoff, treated and control sizes."""
    from serving.campaigns.store import list_campaigns, store_path

    manifests = list_campaigns(store)
    if not manifests:
        out.print(f"no campaigns in {store_path(store)}")
    for m in manifests:
        out.print(f"{m['campaign_id']}: {m['audience']} as of {m['as_of']}, {m['treated_customers']:,} treated, "
                  f"{m['control_customers']:,} control, created {m['created_at']}")
