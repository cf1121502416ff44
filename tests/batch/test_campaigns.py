"""Campaigns: the deterministic control split, the immutable store, and the CLI end to end on a
simulated base (score -> audiences -> campaign create -> simulate -> report)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from typer.testing import CliRunner

from features.schema import TRANSACTIONS_FILE
from features.synth import SimulationConfig, simulate, write_simulation
from serving.campaigns.split import split_control
from serving.campaigns.store import CampaignExists, existing_campaign, load_campaign, save_campaign
from serving.cli import app

from named_channels import with_named_channels

runner = CliRunner()


def test_split_is_deterministic_and_near_its_share() -> None:
    ids = pd.DataFrame({"customer_id": [f"C{i:06d}" for i in range(20_000)]})
    split = split_control(ids, "win_back-2023-09-30", 0.1)
    control = int((split["group"] == "control").sum())
    chi2 = scipy_stats.chisquare([control, len(ids) - control], [0.1 * len(ids), 0.9 * len(ids)])
    assert chi2.pvalue > 0.01, f"{control} of {len(ids)} in control"
    shuffled = split_control(ids.sample(frac=1, random_state=3), "win_back-2023-09-30", 0.1)
    pd.testing.assert_frame_equal(split, shuffled)
    other = split_control(ids, "win_back-2023-12-31", 0.1)
    overlap = ((split["group"] == "control") & (other["group"] == "control")).sum()
    assert 100 < overlap < 300, "another campaign splits independently (about 1 % in both controls)"


def test_stratified_split_holds_the_share_in_every_stratum() -> None:
    rng = np.random.default_rng(0)
    members = pd.DataFrame({"customer_id": [f"C{i}" for i in range(3000)],
                            "segment_name": rng.choice(["a", "b", "c"], 3000, p=[0.6, 0.3, 0.1]),
                            "churn_probability": rng.random(3000)})
    split = split_control(members, "c1", 0.2, ("segment", "churn_band"))
    shares = split.groupby("stratum")["group"].apply(lambda g: (g == "control").mean())
    sizes = split.groupby("stratum").size()
    assert len(shares) == 9
    assert (abs(shares - 0.2) <= 0.5 / sizes).all()
    with pytest.raises(ValueError, match="cannot stratify by region"):
        split_control(members, "c1", 0.2, ("region",))


def test_store_refuses_other_members_and_is_idempotent(tmp_path: Path) -> None:
    store = tmp_path / "campaigns.db"
    members = split_control(pd.DataFrame({"customer_id": ["a", "b", "c", "d"]}), "k", 0.5)
    manifest = {"campaign_id": "k", "created_at": "2024-01-01T00:00:00+00:00", "audience": "x"}
    assert save_campaign(manifest, members, store).created
    again = save_campaign({**manifest, "created_at": "2024-02-01T00:00:00+00:00"}, members, store)
    assert not again.created and again.manifest["created_at"] == "2024-01-01T00:00:00+00:00"
    other = split_control(pd.DataFrame({"customer_id": ["a", "b", "c", "e"]}), "k", 0.5)
    with pytest.raises(CampaignExists, match="'k' already exists"):
        save_campaign(manifest, other, store)
    with pytest.raises(CampaignExists):
        existing_campaign("k", other, store)
    assert load_campaign("k", store).members["customer_id"].tolist() == ["a", "b", "c", "d"]
    with pytest.raises(LookupError, match="no campaign 'z'"):
        load_campaign("z", store)


def test_campaign_end_to_end_through_the_cli(tracking_env: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("INSIGHT_CAMPAIGNS", str(tmp_path / "runs" / "campaigns.db"))
    base = tmp_path / "base"
    write_simulation(simulate(SimulationConfig(n_customers=1200, start="2022-01-01", end="2023-12-31", seed=21)), base)
    store = pd.read_parquet(tracking_env / TRANSACTIONS_FILE)
    named = with_named_channels(pd.read_parquet(base / TRANSACTIONS_FILE))
    pd.testing.assert_frame_equal(named.astype(store.dtypes.to_dict()), store)
    scores, audiences = tmp_path / "scores.parquet", tmp_path / "audiences"
    rules = tmp_path / "rules.toml"
    rules.write_text('min_control_size = 400\n[[audience]]\nname = "everyone"\ndescription = "all known"\n'
                     'when = "true"\ncontrol_share = 0.3\n')
    assert runner.invoke(app, ["score", "--transactions", str(base), "--as-of", "2023-09-30",
                               "--out", str(scores)]).exit_code == 0
    result = runner.invoke(app, ["audiences", "--scores", str(scores), "--out", str(audiences), "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    summary = json.loads((audiences / "summary.json").read_text())
    assert summary["as_of"] == "2023-09-30" and summary["audiences"][0]["control_share"] == 0.3

    created = runner.invoke(app, ["campaign", "create", "--audiences", str(audiences), "--audience", "everyone",
                                  "--stratify", "churn_band"])
    assert created.exit_code == 0, created.output
    assert "created" in created.output and "warning" in created.output and "fewer than the minimum of 400" \
        in created.output.replace("\n", " ")
    folder = tmp_path / "runs" / "campaigns" / "everyone-2023-09-30"
    treated, control = (pd.read_csv(folder / f"{g}.csv", dtype={"customer_id": str}) for g in ("treated", "control"))
    everyone = pd.read_csv(audiences / "everyone.csv", dtype={"customer_id": str})
    assert sorted([*treated["customer_id"], *control["customer_id"]]) == sorted(everyone["customer_id"])
    assert abs(len(control) / len(everyone) - 0.3) < 0.02
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model_versions"] and manifest["starts"] == "2023-10-01"
    run = mlflow.get_run(manifest["mlflow_run_id"])
    assert run.data.tags["campaign_id"] == "everyone-2023-09-30"

    again = runner.invoke(app, ["campaign", "create", "--audiences", str(audiences), "--audience", "everyone",
                                "--stratify", "churn_band"])
    assert again.exit_code == 0 and "unchanged" in again.output
    refused = runner.invoke(app, ["campaign", "create", "--audiences", str(audiences), "--audience", "everyone",
                                  "--control-share", "0.5"])
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert len(refused.output.strip().splitlines()) <= 2

    simulated = tmp_path / "after"
    result = runner.invoke(app, ["campaign", "simulate", "everyone-2023-09-30", "--base", str(base),
                                 "--out", str(simulated), "--effect", "3", "--seed", "4"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["campaign", "report", "everyone-2023-09-30", "--transactions", str(simulated)])
    assert result.exit_code == 0, result.output
    report = json.loads((folder / "report.json").read_text())
    truth = pd.read_parquet(simulated / "campaign_truth.parquet")
    conversion = report["metrics"][0]
    assert conversion["metric"] == "conversion_rate"
    assert conversion["ci_low"] <= truth["true_uplift"].mean() <= conversion["ci_high"]
    assert report["treated_customers"] == len(treated) and report["control_customers"] == len(control)
    assert {"campaign_id", "audience", "rule", "as_of", "window_days", "incremental_orders", "incremental_revenue",
            "verdict", "power_note"} <= set(report)
    assert "verdict:" in result.output and (folder / "report.html").read_text().count("<tr>") == 4
    assert mlflow.get_run(report["mlflow_run_id"]).data.metrics["control_customers"] == len(control)

    persuadable = tmp_path / "persuadable.toml"
    persuadable.write_text('[[audience]]\nname = "persuadable"\ndescription = "moved by contact"\n'
                           'when = "uplift_score >= 0.02"\n')
    command = ["audiences", "--scores", str(scores), "--out", str(tmp_path / "persuadable"), "--rules", str(persuadable)]
    refused = runner.invoke(app, command)
    assert refused.exit_code == 2 and "uses uplift_score but no uplift model is registered" in refused.output
    fitted = runner.invoke(app, ["campaign", "uplift", "--campaign", "everyone-2023-09-30",
                                 "--transactions", str(simulated)])
    assert fitted.exit_code == 0, fitted.output
    client = mlflow.MlflowClient()
    version = client.get_registered_model("customer-uplift").latest_versions[0]
    run = client.get_run(version.run_id)
    assert {"uplift.uplift.qini", "uplift.churn.qini", "uplift.random.qini"} <= set(run.data.metrics)
    assert run.data.tags["promotion.uplift"].split(":")[0] in ("champion", "challenger")
    assert f"customer-uplift v{version.version} -> " in fitted.output


def test_a_report_with_events_adds_the_open_click_and_visit_rates_of_each_group(tmp_path: Path) -> None:
    """Six treated and four control members; events before, inside and after a 30-day window."""
    import pyarrow.parquet as pq

    from features.events.schema import EVENTS_FILE, events_to_arrow
    from features.schema import to_arrow
    from serving.campaigns.report import campaign_report, report_table
    from serving.campaigns.store import StoredCampaign

    members = pd.DataFrame({"customer_id": [f"T{i}" for i in range(6)] + [f"C{i}" for i in range(4)],
                            "group": ["treated"] * 6 + ["control"] * 4})
    manifest = {"campaign_id": "win-back-2024-01-31", "audience": "win-back", "rule": "churn_probability > 0.5",
                "as_of": "2024-01-31", "starts": "2024-02-01", "window_days": 30}
    stored = StoredCampaign(manifest, members, created=False)
    day = lambda d: pd.Timestamp(d, tz="UTC")  # noqa: E731
    pq.write_table(to_arrow(pd.DataFrame({
        "customer_id": ["T0", "C0", "T1"], "order_id": ["o1", "o2", "o3"],
        "timestamp": [day("2024-02-03"), day("2024-02-10"), day("2024-03-20")], "amount": [10.0, 20.0, 30.0]})),
        tmp_path / "transactions.parquet")
    events_dir = tmp_path / "events"
    events_dir.mkdir()
    events = pd.DataFrame([
        ("T0", "2024-02-02", "email_open"), ("T0", "2024-02-02", "email_click"), ("T1", "2024-02-05", "email_open"),
        ("T2", "2024-02-06", "email_open"), ("T3", "2024-02-07", "sms_click"), ("T4", "2024-01-20", "email_open"),
        ("T5", "2024-03-05", "email_open"), ("C0", "2024-02-08", "email_open"), ("C1", "2024-02-09", "session"),
        ("P9", "2024-02-09", "email_open"), ("C2", "2024-02-11", "email_sent")],
        columns=["customer_id", "timestamp", "event_type"])
    events = events.assign(timestamp=pd.to_datetime(events["timestamp"], utc=True),
                           channel=events["event_type"].map(lambda t: "web" if t == "session" else t.split("_")[0]))
    pq.write_table(events_to_arrow(events), events_dir / EVENTS_FILE)

    report = campaign_report(stored, tmp_path / "transactions.parquet", events=events_dir)
    rates = {m["metric"]: (m["treated"], m["control"]) for m in report["metrics"]}
    assert rates["open_rate"] == pytest.approx((3 / 6, 1 / 4))
    assert rates["click_rate"] == pytest.approx((2 / 6, 0 / 4))
    assert rates["visit_rate"] == pytest.approx((0 / 6, 1 / 4))
    assert rates["conversion_rate"] == pytest.approx((1 / 6, 1 / 4))
    opens = next(m for m in report["metrics"] if m["metric"] == "open_rate")
    assert opens["abs_lift"] == pytest.approx(0.25) and opens["ci_low"] < 0.25 < opens["ci_high"]
    open_line = next(line for line in report_table(report).splitlines() if line.startswith("open_rate"))
    assert open_line.split()[1:4] == ["50.0", "25.0", "25.0"] and " pp" in open_line

    without = campaign_report(stored, tmp_path / "transactions.parquet")
    assert [m["metric"] for m in without["metrics"]] == ["conversion_rate", "orders_per_customer",
                                                         "revenue_per_customer"]
