"""The validation scheme on a young, small base: cutoffs too thin for the baselines are left out
and named, instead of failing the whole run (seen on the Online Retail II subset, 262 customers)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.synth import SimulationConfig, simulate
from training.baselines import MIN_REPEAT_CUSTOMERS, repeat_customers
from training.config import TrainConfig
from training.examples import build_examples, thin_snapshots

AS_OF = dt.date(2023, 12, 31)


@pytest.fixture(scope="module")
def young_base() -> pd.DataFrame:
    """400 customers acquired through 2023: a month after the start, a handful have bought twice."""
    return simulate(SimulationConfig(n_customers=400, start="2023-01-01", end="2023-12-31", seed=5)).transactions


def _repeat_counts(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(repeat_customers(frame)).groupby(frame["as_of"].to_numpy()).sum()


def test_thin_early_cutoffs_are_left_out_and_named(young_base: pd.DataFrame) -> None:
    config = TrainConfig(as_of=AS_OF, horizon_days=91, n_cutoffs=6, step_days=30)
    examples = build_examples(young_base, config)

    assert examples.scheme == "out_of_time"
    for frame in (examples.train, examples.full):
        assert (_repeat_counts(frame) >= MIN_REPEAT_CUSTOMERS).all()
    assert examples.train["as_of"].nunique() < config.n_cutoffs
    left_out = examples.description.split("left out ")[1]
    assert left_out.startswith(f"{config.n_cutoffs - examples.train['as_of'].nunique()} cutoff(s)")
    assert "2023-02-02" in left_out
    assert not (examples.train["as_of"] == pd.Timestamp("2023-02-02")).any()


def test_thin_snapshots_counts_repeat_buyers_with_spend() -> None:
    frame = pd.DataFrame({
        "as_of": pd.to_datetime(["2023-01-31"] * 12 + ["2023-03-02"] * 12),
        "btyd_frequency": [1.0] * 8 + [0.0, 0.0, 2.0, 1.0] + [1.0] * 12,
        "btyd_recency": [10.0] * 24,
        "btyd_T": [30.0] * 24,
        "btyd_monetary": [5.0] * 11 + [0.0] + [5.0] * 12,
    })
    # January: 8 + 1 (frequency 2) repeat buyers with spend = 9; two one-timers and a repeat buyer
    # without spend do not count. March: 12.
    assert thin_snapshots(frame) == [dt.date(2023, 1, 31)]


def test_a_base_with_no_usable_cutoff_says_what_to_do(young_base: pd.DataFrame) -> None:
    early = young_base[young_base["timestamp"] < pd.Timestamp("2023-04-01", tz="UTC")]
    config = TrainConfig(as_of=dt.date(2023, 3, 31), horizon_days=56, n_cutoffs=1)
    with pytest.raises(ValueError, match="repeat customers, too few to fit the baselines.*later --as-of"):
        build_examples(early, config)
