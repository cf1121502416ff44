"""The baselines wrapper: fitted on a seeded sample when the base is large, applied to everyone."""

from __future__ import annotations

import pandas as pd
import pytest

from training.baselines import BASELINE_COLUMNS, Baselines


@pytest.fixture(scope="module")
def cdnow_features(cdnow_summary: pd.DataFrame) -> pd.DataFrame:
    """The CDNOW sample summary in the feature layer's BTYD columns (days, not weeks)."""
    return pd.DataFrame(
        {
            "btyd_frequency": cdnow_summary["frequency"],
            "btyd_recency": cdnow_summary["recency"] * 7.0,
            "btyd_T": cdnow_summary["T"] * 7.0,
            "btyd_monetary": cdnow_summary["monetary_value"].fillna(0.0),
        }
    )


def test_a_large_base_is_fitted_on_a_seeded_sample_and_scored_whole(cdnow_features: pd.DataFrame) -> None:
    capped = Baselines(182, max_fit_customers=1_000).fit(cdnow_features)
    again = Baselines(182, max_fit_customers=1_000).fit(cdnow_features)
    on_sample = Baselines(182).fit(cdnow_features.sample(n=1_000, random_state=0))
    whole = Baselines(182).fit(cdnow_features)

    assert capped.params_ == again.params_ == on_sample.params_
    assert capped.params_ != whole.params_
    assert capped.params_["bgnbd"]["r"] == pytest.approx(whole.params_["bgnbd"]["r"], rel=0.25)
    scored = capped.transform(cdnow_features)
    assert len(scored) == len(cdnow_features) and scored[list(BASELINE_COLUMNS)].notna().all().all()


def test_a_cap_too_small_to_identify_the_models_is_refused() -> None:
    with pytest.raises(ValueError, match="max_fit_customers"):
        Baselines(182, max_fit_customers=10)
