"""The campaign statistics against hand-computed and published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from serving.campaigns.report import measure, verdict
from serving.campaigns.stats import (
    detectable_difference,
    detectable_lift,
    newcombe_difference,
    relative_lift,
    welch_difference,
    wilson_interval,
)


def test_wilson_interval_matches_newcombe_1998_single_proportion() -> None:
    # Newcombe (1998a), example 81/263: Wilson score interval 0.2553 to 0.3662.
    ci = wilson_interval(81, 263)
    assert ci.estimate == pytest.approx(0.30798, abs=1e-5)
    assert (round(ci.low, 4), round(ci.high, 4)) == (0.2553, 0.3662)
    # By hand for 0/10: centre = (z^2/20)/(1+z^2/10), half the same, so [0, 0.2775].
    zero = wilson_interval(0, 10)
    assert zero.low == 0 and zero.high == pytest.approx(0.27753, abs=1e-5)
    with pytest.raises(ValueError):
        wilson_interval(3, 0)


@pytest.mark.parametrize(("counts", "published"), [
    ((56, 70, 48, 80), (0.0524, 0.3339)),   # Newcombe (1998b), Table II, example (a), method 10
    ((9, 10, 3, 10), (0.1705, 0.8090)),     # example (b)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),    # example (g)
])
def test_newcombe_difference_matches_the_published_method_10(counts, published) -> None:
    ci = newcombe_difference(*counts)
    assert ci.estimate == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (round(ci.low, 4), round(ci.high, 4)) == published


def test_welch_interval_by_hand_and_against_scipy() -> None:
    treated, control = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0])
    # var 5/3 and 1/3 -> se^2 = 5/12 + 1/9 = 0.52778; df = se^4 / ((5/12)^2/3 + (1/9)^2/2) = 4.3495
    ci = welch_difference(treated, control)
    se = math.sqrt(5 / 12 + 1 / 9)
    half = scipy_stats.t.ppf(0.975, 0.52778 ** 2 / ((5 / 12) ** 2 / 3 + (1 / 9) ** 2 / 2)) * se
    assert ci.estimate == pytest.approx(7 / 6)
    assert ci.low == pytest.approx(7 / 6 - half, abs=1e-3) and ci.high == pytest.approx(7 / 6 + half, abs=1e-3)
    reference = scipy_stats.ttest_ind(treated, control, equal_var=False).confidence_interval(0.95)
    assert (ci.low, ci.high) == pytest.approx((reference.low, reference.high))


def test_relative_lift_is_the_delta_method_on_the_log_ratio() -> None:
    # means 0.12 vs 0.10, n 1000 each: se = sqrt(.1056/(1000*.0144) + .09/(1000*.01)) = 0.12726
    rel = relative_lift(0.12, 0.12 * 0.88, 1000, 0.10, 0.09, 1000)
    se = math.sqrt(0.1056 / 14.4 + 0.09 / 10)
    assert rel.estimate == pytest.approx(0.2)
    assert rel.low == pytest.approx(1.2 * math.exp(-1.959964 * se) - 1, abs=1e-6)
    assert rel.high == pytest.approx(1.2 * math.exp(1.959964 * se) - 1, abs=1e-6)
    assert relative_lift(0.1, 0.09, 10, 0.0, 0.0, 10) is None


def test_detectable_lift_by_hand() -> None:
    # (1.95996 + 0.84162) * sqrt(0.2 * 0.8 * (1/1000 + 1/1000)) = 2.80158 * 0.017889 = 0.050116
    assert detectable_lift(0.2, 1000, 1000) == pytest.approx(0.050116, abs=1e-5)
    assert detectable_difference(10.0, 400, 100) == pytest.approx(2.80158 * 10 * math.sqrt(1 / 400 + 1 / 100),
                                                                  abs=1e-4)
    assert detectable_lift(0.2, 1000, 0) == math.inf


def test_measure_and_verdicts_by_hand() -> None:
    import pandas as pd

    # treated: 30 of 50 bought (orders 1 each, revenue 10); control: 10 of 50.
    outcomes = pd.DataFrame({
        "group": ["treated"] * 50 + ["control"] * 50,
        "converted": [1.0] * 30 + [0.0] * 20 + [1.0] * 10 + [0.0] * 40,
    })
    outcomes["orders"] = outcomes["converted"]
    outcomes["revenue"] = 10 * outcomes["converted"]
    report = measure(outcomes)
    conversion = report["metrics"][0]
    assert (conversion["treated"], conversion["control"]) == (0.6, 0.2)
    assert conversion["abs_lift"] == pytest.approx(0.4) and conversion["rel_lift"] == pytest.approx(2.0)
    assert (conversion["ci_low"], conversion["ci_high"]) == pytest.approx(
        (newcombe_difference(30, 50, 10, 50).low, newcombe_difference(30, 50, 10, 50).high))
    assert report["incremental_orders"] == pytest.approx(20.0)
    assert report["incremental_revenue"] == pytest.approx(200.0)
    assert report["verdict"].startswith("lift +40.0 pp [")
    assert "could detect a conversion lift of" in report["power_note"]
    assert verdict({"abs_lift": 0.005, "ci_low": -0.01, "ci_high": 0.02}) == \
        "no detectable effect at this size (lift +0.5 pp [-1.0, 2.0])"
    assert verdict({"abs_lift": -0.03, "ci_low": -0.05, "ci_high": -0.01}).endswith("lowered conversion")
    with pytest.raises(ValueError, match="at least two treated and two control"):
        measure(outcomes.iloc[:51])
