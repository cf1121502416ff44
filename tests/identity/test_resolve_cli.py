"""`insight resolve` end to end on simulated multi-source records with ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli import app
from features.identity.evaluate import accuracy
from features.identity.simulate import TRUTH_COLUMN, simulate_records

PEOPLE = 1500
SEED = 11
OUTPUTS = {"id_map.parquet", "golden_records.parquet", "pairs.parquet", "merges.parquet",
           "quarantine.parquet", "model.json", "id_state.json", "report.json", "report.txt"}


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_records(PEOPLE, seed=SEED)


def split_by_source(records: pd.DataFrame, directory: Path) -> list[str]:
    """One file per source system, as they would arrive: CSV for some, Parquet for others."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for source, part in records.drop(columns=TRUTH_COLUMN).groupby("source"):
        if source in ("web", "app"):
            path = directory / f"{source}.parquet"
            part.to_parquet(path, index=False)
        else:
            path = directory / f"{source}.csv"
            part.to_csv(path, index=False)
        paths.append(str(path))
    return paths


def run_resolve(paths: list[str], out: Path, *extra: str):
    args = ["resolve", *[a for p in paths for a in ("--records", p)], "--out", str(out), *extra]
    return CliRunner().invoke(app, args)


def truth_accuracy(simulated: pd.DataFrame, id_map: pd.DataFrame):
    joined = id_map.merge(simulated[["source", "source_customer_id", TRUTH_COLUMN]],
                          on=["source", "source_customer_id"], validate="one_to_one")
    return accuracy(joined[TRUTH_COLUMN], joined["customer_id"])


def test_resolve_finds_the_people_behind_the_records_and_keeps_ids_on_rerun(
        simulated: pd.DataFrame, tmp_path: Path) -> None:
    first_half = simulated[simulated["updated_at"] < simulated["updated_at"].quantile(0.7)]
    paths = split_by_source(first_half, tmp_path / "in1")
    out = tmp_path / "resolved"
    result = run_resolve(paths, out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == OUTPUTS
    id_map = pd.read_parquet(out / "id_map.parquet")
    assert len(id_map) == len(first_half)
    report = json.loads((out / "report.json").read_text())
    assert report["records_in"] == len(first_half)
    assert report["customers"] == id_map["customer_id"].nunique()
    assert sum(report["cluster_sizes"].values()) == report["customers"]
    assert {"same_email", "same_phone", "probabilistic"} <= set(report["links_by_rule"])
    assert report["borderline_pairs"] and "left" in report["borderline_pairs"][0]

    scores = truth_accuracy(first_half, id_map)
    assert scores.pairwise_precision >= 0.97, scores
    assert scores.pairwise_recall >= 0.93, scores
    assert scores.bcubed_precision >= 0.98 and scores.bcubed_recall >= 0.95, scores

    pairs = pd.read_parquet(out / "pairs.parquet")
    linked = pairs[pairs["linked"]]
    assert (linked["customer_id_l"] == linked["customer_id_r"]).all()
    assert set(linked["rule"]) <= {"same_email", "same_phone", "same_loyalty_card", "probabilistic"}
    assert linked.loc[linked["rule"] == "probabilistic", "match_probability"].min() >= 0.95
    golden = pd.read_parquet(out / "golden_records.parquet")
    assert len(golden) == report["customers"]
    assert golden["n_records"].sum() == len(first_half)

    again = run_resolve(paths, out)
    assert again.exit_code == 0, again.output
    rerun = pd.read_parquet(out / "id_map.parquet")
    assert rerun.merge(id_map, on=["source", "source_customer_id"]).eval("customer_id_x == customer_id_y").all()

    all_paths = split_by_source(simulated, tmp_path / "in2")
    grown = run_resolve(all_paths, out)
    assert grown.exit_code == 0, grown.output
    later = pd.read_parquet(out / "id_map.parquet")
    kept = later.merge(id_map, on=["source", "source_customer_id"], suffixes=("", "_before"))
    merges = pd.read_parquet(out / "merges.parquet")
    merged_into = dict(zip(merges["merged_id"], merges["into_id"], strict=True))
    survived = kept["customer_id_before"].map(lambda c: merged_into.get(c, c))
    assert (kept["customer_id"] == survived).mean() >= 0.99
    old_ids = set(id_map["customer_id"])
    new_people = set(later["customer_id"]) - old_ids
    state = json.loads((out / "id_state.json").read_text())
    assert all(int(c[1:]) > max(int(o[1:]) for o in old_ids) for c in new_people)
    assert state["last_issued"] >= max(int(c[1:]) for c in later["customer_id"])
    assert truth_accuracy(simulated, later).pairwise_precision >= 0.97


def test_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "shop.csv"
    bad.write_text("customer,email\n1,a@b.com\n", "utf-8")
    out = tmp_path / "resolved"
    result = run_resolve([str(bad)], out)
    assert result.exit_code == 2
    assert "shop.csv: no column 'source'" in result.output
    assert not out.exists()
    assert run_resolve([str(bad)], out, "--engine", "oracle").exit_code == 2
    assert run_resolve([str(bad)], out, "--threshold", "1.5").exit_code == 2
