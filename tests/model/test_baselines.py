"""The baselines wrapper: fitted on a seeded sample when the base is large, applied to everyone."""

from __future__ import annotations

import pandas as pd
import pytest

from training.baselines import BASELINE_COLUMNS, Baselines
from training.btyd import BetaGeoModel, ParetoNBDModel


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


def test_a_warm_start_finds_the_same_maximum_in_fewer_iterations(cdnow_features: pd.DataFrame) -> None:
    earlier = Baselines(182).fit(cdnow_features.sample(n=1_500, random_state=1))
    cold = Baselines(182).fit(cdnow_features)
    warm = Baselines(182).fit(cdnow_features, start=earlier)

    for model in ("bgnbd", "pnbd", "gamma_gamma"):
        for name, value in cold.params_[model].items():
            assert warm.params_[model][name] == pytest.approx(value, rel=1e-3), (model, name)
    assert warm.bgnbd_.n_iter_ < cold.bgnbd_.n_iter_
    assert warm.pnbd_.n_iter_ < cold.pnbd_.n_iter_
    assert warm.bgnbd_.log_likelihood_ == pytest.approx(cold.bgnbd_.log_likelihood_, rel=1e-9)


def test_a_start_with_the_wrong_parameters_is_refused(cdnow_summary: pd.DataFrame) -> None:
    rfm = cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    with pytest.raises(ValueError, match=r"ParetoNBDModel needs parameters r, alpha, s, beta; got \['alpha', 'r'\]"):
        ParetoNBDModel().fit(*rfm, start={"r": 1.0, "alpha": 1.0})
    with pytest.raises(ValueError, match="BetaGeoModel parameters must be finite and > 0; check a"):
        BetaGeoModel().fit(*rfm, start={"r": 0.2, "alpha": 4.0, "a": -1.0, "b": 2.0})
