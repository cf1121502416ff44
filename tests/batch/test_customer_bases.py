"""Two customer bases in one checkout: CDNOW and a simulated shop keep their own champion sets and
snapshots, and each still scores after the other was trained."""

from __future__ import annotations

import datetime as dt
import getpass
import importlib.metadata
import json
import socket
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from features.schema import TRANSACTIONS_FILE, to_arrow
from serving.batch import run_batch
from serving.cli import app
from training.bases import Base, base_from_path, resolve_base
from training.champions import current_set, known_bases, load_champions
from training.runner import run_training
from training.tracking import configure, data_fingerprint, log_training_run

pytestmark = pytest.mark.slow

CDNOW_AS_OF, SIM_SCORED_AT, CDNOW_SCORED_AT = dt.date(1998, 3, 31), dt.date(2023, 12, 31), dt.date(1998, 6, 30)


def cdnow_sample() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample of the lifetimes wheel as canonical transactions."""
    path = next(Path(f.locate()) for f in importlib.metadata.files("lifetimes") or () if f.name == "CDNOW_sample.txt")
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "customer_id", "date", "cds", "dollars"],
                      dtype={"master_id": str, "customer_id": str, "date": str})
    return pd.DataFrame({
        "customer_id": raw["master_id"], "order_id": raw["master_id"] + "-" + raw.index.astype(str),
        "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d", utc=True), "amount": raw["dollars"].astype(float),
        "quantity": raw["cds"].astype(float),
    })


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory, trained_base):
    """One checkout (registry, snapshot store) where the simulated base is registered first, then
    CDNOW is trained from `data/cdnow` with its base named after the directory."""
    root = tmp_path_factory.mktemp("bases")
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    patch.setenv("INSIGHT_SNAPSHOTS", str(root / "snapshots"))
    patch.delenv("INSIGHT_BASE", raising=False)
    patch.chdir(root)
    sim, cdnow = root / "data" / "sim", root / "data" / "cdnow"
    for folder, frame in ((sim, trained_base.transactions), (cdnow, cdnow_sample())):
        folder.mkdir(parents=True)
        pq.write_table(to_arrow(frame), folder / TRANSACTIONS_FILE)
    sim_base = resolve_base(None, sim)
    log_training_run(trained_base.outcome, trained_base.config, data_fingerprint(trained_base.transactions),
                     configure(sim_base.experiment()), base=sim_base)
    sim_first = run_batch(sim, SIM_SCORED_AT, root / "sim-scores.parquet", base=sim_base)
    sim_before = load_champions(base=sim_base).versions_by_name
    trained = run_training(cdnow, as_of=CDNOW_AS_OF, horizon_days=91, n_cutoffs=1, seasonal_years=0,
                           base=resolve_base(None, cdnow))
    yield root, sim_base, sim_before, sim_first, trained
    patch.undo()


def test_each_base_keeps_its_own_champions_and_snapshots(checkout) -> None:
    root, sim_base, sim_before, sim_first, trained = checkout
    assert sim_base == Base("sim") and base_from_path(root / "data" / "cdnow" / TRANSACTIONS_FILE) == "cdnow"
    assert {r.alias for r in trained.registrations} == {"champion"}, [r.reason for r in trained.registrations]
    assert {r.name for r in trained.registrations} == {
        "cdnow.customer-segments", "cdnow.customer-churn", "cdnow.customer-next-purchase", "cdnow.customer-clv"}
    assert known_bases(configure()) == ["cdnow", "sim"]
    assert load_champions(base=sim_base).versions_by_name == sim_before == {
        "sim.customer-segments": "1", "sim.customer-churn": "1", "sim.customer-next-purchase": "1",
        "sim.customer-clv": "1"}

    sim = run_batch(root / "data" / "sim", SIM_SCORED_AT, root / "sim-again.parquet", base=sim_base)
    cdnow = run_batch(root / "data" / "cdnow", CDNOW_SCORED_AT, root / "cdnow-scores.parquet", base=Base("cdnow"))
    assert sim.summary["customers"] == sim_first.summary["customers"]
    assert sim.summary["total_predicted_clv"] == sim_first.summary["total_predicted_clv"]
    assert cdnow.summary["customers"] == 2357 and cdnow.summary["base"] == "cdnow"
    for result, name in ((sim, "sim"), (cdnow, "cdnow")):
        versions = json.loads(pd.read_parquet(result.out, columns=["model_versions"])["model_versions"].iloc[0])
        assert set(versions) == {f"{name}.{model}" for model in
                                 ("customer-segments", "customer-churn", "customer-next-purchase", "customer-clv")}
    snapshots = sorted(p.relative_to(root / "snapshots").parts[:2] for p in (root / "snapshots").rglob("*.parquet"))
    assert snapshots == [("bases", "cdnow"), ("bases", "sim")]
    with pytest.raises(LookupError, match="bases with champions: cdnow, sim; choose one with --base"):
        load_champions(base=Base("shop"))


def test_a_deliberate_promotion_is_checked_and_logged_with_who_and_why(checkout) -> None:
    root, _, _, _, trained = checkout
    runner = CliRunner()
    refused = runner.invoke(app, ["promote", "--base", "cdnow", "--version", "churn=99", "--reason", "try"])
    assert refused.exit_code == 2 and "no version 99 of 'cdnow.customer-churn'" in refused.output
    assert runner.invoke(app, ["promote", "--base", "cdnow", "--run", trained.run_id, "--reason", " "]).exit_code == 2
    client = configure(Base("cdnow").experiment())
    before = current_set(client, Base("cdnow"))
    done = runner.invoke(app, ["promote", "--base", "cdnow", "--run", trained.run_id, "--reason", "approved in review"])
    assert done.exit_code == 0, done.output
    after = current_set(client, Base("cdnow"))
    assert int(after.version) == int(before.version) + 1 and after.versions == before.versions
    tags = client.get_model_version("cdnow.customer-insight-champions", after.version).tags
    assert tags["forced"] == "true" and tags["by"] == f"{getpass.getuser()}@{socket.gethostname()}"
    assert tags["reason"].endswith(": approved in review")
    logged = client.get_run(after.run_id)
    assert logged.data.tags["job"] == "promote" and logged.data.tags["reason"] == "approved in review"
