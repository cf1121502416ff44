"""Which baselines scoring used is said, never guessed: refitted, stored, or stored after a failed refit."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from training.baselines import BASELINE_COLUMNS
from training.predict import MIN_CUSTOMERS_TO_REFIT, scorable, score_frame, with_baselines_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def features(trained_base) -> pd.DataFrame:
    """The trained base's scoring frame, its customers repeated under new ids until a refit is due."""
    frame = trained_base.outcome.scoring_frame.drop(columns=list(BASELINE_COLUMNS))
    copies = -(-MIN_CUSTOMERS_TO_REFIT // int(scorable(frame).sum()))
    return pd.concat([frame.assign(customer_id=frame["customer_id"] + f"-{copy}") for copy in range(copies)],
                     ignore_index=True)


def test_a_base_large_enough_is_refitted_and_says_so(trained_base, features, caplog) -> None:
    models = trained_base.outcome.models
    assert scorable(features).sum() >= MIN_CUSTOMERS_TO_REFIT
    with caplog.at_level(logging.INFO, logger="training.predict"):
        refitted = with_baselines_of(models, features, refit=True)
    assert refitted.attrs["baselines"].startswith("refitted on ")
    assert "baselines: refitted on" in caplog.text
    stored = with_baselines_of(models, features)
    assert stored.attrs["baselines"] == "stored parameters"
    assert not refitted["bgnbd_expected_orders"].equals(stored["bgnbd_expected_orders"])


def test_a_small_base_keeps_the_stored_parameters_and_scores_as_it_would_alone(trained_base, features) -> None:
    models = trained_base.outcome.models
    few = features.head(50)
    frame = with_baselines_of(models, few, refit=True)
    assert "fewer than" in frame.attrs["baselines"]
    pd.testing.assert_frame_equal(frame, with_baselines_of(models, few))
    one = score_frame(models, with_baselines_of(models, few.iloc[[7]]))
    pd.testing.assert_frame_equal(one.reset_index(drop=True), score_frame(models, frame).iloc[[7]].reset_index(drop=True))


def test_a_failed_refit_is_a_warning_with_its_reason_not_silence(trained_base, features, caplog) -> None:
    """Without repeat customers the count models cannot be refitted: the stored parameters score, and
    the log and the frame say why."""
    models = trained_base.outcome.models
    one_timers = features.assign(btyd_frequency=0.0, btyd_recency=0.0)
    with caplog.at_level(logging.INFO, logger="training.predict"):
        frame = with_baselines_of(models, one_timers, refit=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no customer has a repeat purchase" in warnings[0].getMessage()
    assert frame.attrs["baselines"].startswith("stored parameters (the refit on")
    pd.testing.assert_frame_equal(frame, with_baselines_of(models, one_timers))
