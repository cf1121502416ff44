"""The insight report opened in a real headless Chromium, for CDNOW and for a simulated base.

Both bases are scored with the session's trained champions (no training here). The page must load
with no console error and no request beyond itself, show every section, draw every chart, fit a
phone-width window, use no column names in its text, and show the numbers recomputed here from
the scores file and the snapshot (customers, segment sizes and revenue shares, the top shares of
predicted value, the risk x value cells, the audiences, the quarantine count, a campaign's lift).
Screenshots at 1400 and 400 px go to test-artefacts/insight-report/ (or $INSIGHT_TEST_ARTEFACTS).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.datasets import cdnow_master_path
from features.ingest import ingest, load_mapping
from features.pipeline import load_snapshot
from features.schema import TRANSACTIONS_FILE
from headless_browser import Browser, find_chromium
from named_channels import CHANNEL_NAMES
from serving.batch import run_batch
from serving.campaigns.create import create_campaign
from serving.campaigns.report import measure, write_report
from serving.campaigns.store import load_campaign
from serving.cli import app
from serving.insight.render import SECTIONS
from training.champions import load_champions

ARTEFACTS = Path(os.environ.get("INSIGHT_TEST_ARTEFACTS", Path(__file__).resolve().parents[2] / "test-artefacts"))
WIDTHS = (1400, 400)
SIM_AT, SIM_BEFORE, CDNOW_AT = dt.date(2023, 12, 31), dt.date(2023, 11, 30), dt.date(1998, 6, 30)
CAMPAIGN = "vipcare-december"
RISK = (("low", 0.0, 0.3), ("medium", 0.3, 0.7), ("high", 0.7, 1.01))
VALUE = (("top10", 0.0, 0.1), ("next20", 0.1, 0.3), ("middle40", 0.3, 0.7), ("bottom30", 0.7, 1.0))


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine: `apt-get install -y chromium` (scripts/bootstrap.sh does it as root)")
    started = Browser(executable)
    yield started
    started.close()


@pytest.fixture(scope="module")
def workspace(store: Path, tmp_path_factory: pytest.TempPathFactory):
    """Env pointing at the session's trained store, a campaign store of our own and an output folder."""
    out = tmp_path_factory.mktemp("insight_report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        patch.setenv("INSIGHT_SNAPSHOTS", str(out / "snapshots"))
        patch.setenv("INSIGHT_CAMPAIGNS", str(out / "campaigns.db"))
        yield out, load_champions()


def cli(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def add_measured_campaign(audiences: Path) -> dict:
    """A campaign on the VIP list and its report, measured on outcomes fixed here: every fourth
    treated and every eighth control customer bought."""
    create_campaign(audiences, "vip_care", campaign_id=CAMPAIGN, track=False)
    stored = load_campaign(CAMPAIGN)
    members = stored.members.sort_values("customer_id").reset_index(drop=True)
    rank = members.groupby("group").cumcount()
    converted = np.where(members["group"] == "treated", rank % 4 == 0, rank % 8 == 0).astype(float)
    outcomes = members.assign(converted=converted, orders=converted, revenue=30.0 * converted)
    report = {"campaign_id": CAMPAIGN, "audience": "vip_care", "rule": stored.manifest["rule"],
              "as_of": stored.manifest["as_of"], "window_days": 90, **measure(outcomes), "window_start": "2024-01-01",
              "window_end": "2024-03-30", "window_complete": True, "data_end": "2024-03-30"}
    write_report(report, Path(os.environ["INSIGHT_CAMPAIGNS"]).parent / "campaigns" / CAMPAIGN)
    return next(m for m in report["metrics"] if m["metric"] == "conversion_rate")


@pytest.fixture(scope="module")
def simulated(workspace, store: Path) -> dict:
    out, champions = workspace
    run_batch(store / TRANSACTIONS_FILE, SIM_BEFORE, out / "sim_before.parquet", champions=champions)
    run_batch(store / TRANSACTIONS_FILE, SIM_AT, out / "sim.parquet", champions=champions)
    cli("audiences", "--scores", str(out / "sim.parquet"), "--out", str(out / "sim_audiences"))
    conversion = add_measured_campaign(out / "sim_audiences")
    page = out / "sim.html"
    cli("insight-report", "--scores", str(out / "sim.parquet"), "--previous-scores", str(out / "sim_before.parquet"),
        "--audiences", str(out / "sim_audiences"), "--campaigns", "--out", str(page))
    return {"name": "simulated", "page": page, "scores": out / "sim.parquet", "as_of": SIM_AT,
            "previous": out / "sim_before.parquet", "audiences": out / "sim_audiences", "conversion": conversion}


@pytest.fixture(scope="module")
def cdnow(workspace) -> dict:
    out, champions = workspace
    ingested = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), out / "cdnow")
    run_batch(ingested.transactions_path, CDNOW_AT, out / "cdnow.parquet", champions=champions)
    cli("audiences", "--scores", str(out / "cdnow.parquet"), "--out", str(out / "cdnow_audiences"))
    page = out / "cdnow.html"
    cli("insight-report", "--scores", str(out / "cdnow.parquet"), "--audiences", str(out / "cdnow_audiences"),
        "--ingest-report", str(out / "cdnow"), "--out", str(page))
    quality = json.loads((out / "cdnow" / "quality_report.json").read_text())
    return {"name": "cdnow", "page": page, "scores": out / "cdnow.parquet", "as_of": CDNOW_AT,
            "audiences": out / "cdnow_audiences", "quality": quality}


def expected_numbers(scores_file: Path, as_of: dt.date) -> dict:
    """The page's key numbers recomputed from the scores file and the feature snapshot."""
    scores = pd.read_parquet(scores_file)
    features = load_snapshot(os.environ["INSIGHT_SNAPSHOTS"], as_of)
    revenue = scores["customer_id"].map(features["spend_365d"]).fillna(0.0)
    segments = {name: {"customers": len(part), "revenue_share": revenue[part.index].sum() / revenue.sum()}
                for name, part in scores.groupby("segment_name")}
    valued = scores[scores["predicted_clv"].notna()].assign(revenue=revenue)
    valued = valued.sort_values(["predicted_clv", "customer_id"], ascending=[False, True]).reset_index(drop=True)
    n, total = len(valued), valued["predicted_clv"].sum()
    first = lambda share: min(n, math.ceil(round(share * n, 9)))  # noqa: E731
    top = {f"top{round(100 * p)}": valued["predicted_clv"].iloc[:first(p)].sum() / total for p in (0.01, 0.05, 0.1, 0.2)}
    cells = {}
    for vkey, start, end in VALUE:
        band = valued.iloc[first(start):first(end)]
        for rkey, low, high in RISK:
            cell = band[(band["churn_probability"] >= low) & (band["churn_probability"] < high)]
            cells[f"{rkey}|{vkey}"] = (len(cell), float((cell["churn_probability"] * cell["revenue"]).sum()))
    top20 = valued.iloc[:first(0.2)]
    return {"customers": len(scores), "segments": segments, "top": top, "cells": cells,
            "at_risk": int((top20["churn_probability"] >= 0.5).sum()),
            "active": int((scores["customer_id"].map(features["orders_365d"]) > 0).sum())}


def amount(text: str) -> float:
    """A number as the page writes it: '$1,234', '−$56', '12.3 %', '23,570'."""
    cleaned = re.sub(r"[^0-9.\-−]", "", text).replace("−", "-")
    return float(cleaned)


READ_PAGE = """(() => {
  const text = (el) => el ? el.textContent.trim() : null;
  const q = (sel) => text(document.querySelector(sel));
  const figures = [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {chart: f.dataset.chart, width: box.width, height: box.height,
            marks: svg ? svg.querySelectorAll('path, rect, use').length : 0,
            caption: text(f.querySelector('figcaption'))};
  });
  return {
    sections: [...document.querySelectorAll('section[data-section]')].map(s => [s.id, text(s.querySelector('h2'))]),
    figures,
    glance: Object.fromEntries([...document.querySelectorAll('#glance [data-key]')].map(e => [e.dataset.key, text(e)])),
    segments: Object.fromEntries([...document.querySelectorAll('[data-segment]')].map(c => [c.dataset.segment, {
      customers: text(c.querySelector('[data-field=customers]')),
      revenue_share: text(c.querySelector('[data-field=revenue_share]')),
      moves: Object.fromEntries([...c.querySelectorAll('[data-move]')].map(m => [m.dataset.move, text(m)]))}])),
    top: Object.fromEntries([...document.querySelectorAll('[data-table=top-shares] [data-row]')].map(
      r => [r.dataset.row, text(r.querySelector('[data-field=share]'))])),
    cells: Object.fromEntries([...document.querySelectorAll('[data-cell]')].map(c => [c.dataset.cell,
      [text(c.querySelector('[data-field=customers]')), text(c.querySelector('[data-field=stake]'))]])),
    at_risk: q('[data-key=at_risk]'),
    audiences: Object.fromEntries([...document.querySelectorAll('[data-audience]')].map(a => [a.dataset.audience,
      [text(a.querySelector('[data-field=customers]')), text(a.querySelector('[data-field=elsewhere]')),
       text(a.querySelector('[data-field=control]')), text(a.querySelector('[data-field=lift]'))]])),
    channels: [...document.querySelectorAll('[data-channel]')].map(r => r.dataset.channel),
    quarantined: q('[data-key=rows_quarantined]'),
    rows_in: q('[data-key=rows_in]'),
    visible: document.body.innerText,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()"""


def check_page(browser: Browser, base: dict) -> dict:
    """Open the page at each width: no errors, every section and chart, no column names; returns the DOM data."""
    seen = None
    for width in WIDTHS:
        page = browser.open(base["page"].resolve().as_uri(), width)
        try:
            dom = page.evaluate(READ_PAGE)
            page.screenshot(ARTEFACTS / "insight-report" / f"{base['name']}-{width}.png")
        finally:
            page.close()
        assert page.errors == [], page.errors
        assert set(page.requests) == {base["page"].resolve().as_uri()}, page.requests
        assert [s[0] for s in dom["sections"]] == [s[0] for s in SECTIONS]
        assert all(title for _, title in dom["sections"])
        for figure in dom["figures"]:
            assert figure["width"] > 150 and figure["height"] > 60 and figure["marks"] > 5, figure
            assert figure["caption"], figure
        assert dom["overflow"] <= 0, f"the page is {dom['overflow']} px wider than a {width} px window"
        raw = set(re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", dom["visible"]))
        assert not raw, f"column names on the page: {sorted(raw)}"
        seen = dom
    return seen


def check_numbers(dom: dict, base: dict) -> None:
    want = expected_numbers(base["scores"], base["as_of"])
    assert amount(dom["glance"]["customers"]) == want["customers"]
    assert amount(dom["glance"]["active_customers"]) == want["active"]
    assert set(dom["segments"]) == set(want["segments"])
    for name, expected in want["segments"].items():
        card = dom["segments"][name]
        assert amount(card["customers"]) == expected["customers"], name
        assert amount(card["revenue_share"]) == pytest.approx(100 * expected["revenue_share"], abs=0.05), name
    for key, share in want["top"].items():
        assert amount(dom["top"][key]) == pytest.approx(100 * share, abs=0.05), key
    assert set(dom["cells"]) == set(want["cells"])
    for key, (customers, stake) in want["cells"].items():
        shown_customers, shown_stake = dom["cells"][key]
        assert amount(shown_customers) == customers, key
        assert amount(shown_stake) == pytest.approx(stake, abs=0.5), key
    assert sum(c for c, _ in want["cells"].values()) == want["customers"] - pd.read_parquet(
        base["scores"])["predicted_clv"].isna().sum()
    assert amount(dom["at_risk"]) == want["at_risk"]
    summary = json.loads((base["audiences"] / "summary.json").read_text())
    for entry in summary["audiences"]:
        customers, elsewhere, _, _ = dom["audiences"][entry["audience"]]
        assert (amount(customers), amount(elsewhere)) == (entry["customers"], entry["eligible"] - entry["customers"])


def test_cdnow_report_in_a_browser(browser: Browser, cdnow: dict) -> None:
    dom = check_page(browser, cdnow)
    check_numbers(dom, cdnow)
    assert amount(dom["glance"]["customers"]) == 23_570
    assert amount(dom["rows_in"]) == cdnow["quality"]["rows_in"] == 69_659
    assert amount(dom["quarantined"]) == cdnow["quality"]["rows_quarantined"]
    assert {f["chart"] for f in dom["figures"]} >= {"segment-shares", "segment-distribution", "pareto", "weekly"}


def test_simulated_report_in_a_browser(browser: Browser, simulated: dict) -> None:
    dom = check_page(browser, simulated)
    check_numbers(dom, simulated)
    now, before = pd.read_parquet(simulated["scores"]), pd.read_parquet(simulated["previous"])
    was = now["customer_id"].map(before.set_index("customer_id")["segment_name"])
    for name, card in dom["segments"].items():
        mine = now["segment_name"] == name
        assert amount(card["moves"]["stayed"]) == (mine & (was == name)).sum(), name
        assert amount(card["moves"]["new"]) == (mine & was.isna()).sum(), name
        assert amount(card["moves"]["left"]) == ((was == name) & ~mine).sum(), name
    assert sorted(dom["channels"]) == sorted(CHANNEL_NAMES.values()), "channels named as in the data, not as slugs"
    assert "c a h ng" not in dom["visible"]
    conversion = simulated["conversion"]
    *_, control, lift = dom["audiences"]["vip_care"]
    stored = load_campaign(CAMPAIGN).manifest
    assert amount(control) == stored["control_customers"]
    assert lift == (f"{100 * conversion['abs_lift']:+.1f} points "
                    f"[{100 * conversion['ci_low']:.1f}, {100 * conversion['ci_high']:.1f}]")
