"""Benchmark: the BTYD estimators against lifetimes' fitters on the CDNOW sample and master log.

    .venv/bin/python bench/btyd_reference.py

The usual way of fitting lifetimes: every line's customer-day is a purchase event (whatever its
value), recency and T in weeks; the sample to 1997-09-30 (39 weeks, Fader, Hardie & Lee 2005),
the master log to 1997-12-31 (`insight demo`'s cutoff). lifetimes is fitted on the distinct
(frequency, recency, T) rows with their customer counts as weights. Both maxima are measured with
lifetimes' own likelihood code. Prints one table row per model and data set.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from features.datasets import cdnow_master_path, cdnow_sample_path  # noqa: E402
from training.btyd import BetaGeoModel, GammaGammaModel, ParetoNBDModel  # noqa: E402

DATA = {
    "sample": (cdnow_sample_path, ["master_id", "customer_id", "date", "cds", "dollars"], None, "1997-09-30"),
    "master": (cdnow_master_path, ["customer_id", "date", "cds", "dollars"], 0, "1997-12-31"),
}


def summary(name: str) -> pd.DataFrame:
    """frequency, recency, T (weeks) and mean repeat-day spend per customer, up to the data set's end."""
    path, names, header, end = DATA[name]
    raw = pd.read_csv(path(), sep=r"\s+", header=header, names=names, dtype={"customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    end = pd.Timestamp(end)
    days = raw[raw["date"] <= end].groupby(["customer_id", "date"], as_index=False)["dollars"].sum()
    first = days.groupby("customer_id")["date"].min()
    repeat = days[days["date"] > days["customer_id"].map(first)]
    week = pd.Timedelta(days=7)
    return pd.DataFrame({
        "frequency": (days.groupby("customer_id").size() - 1).astype(float),
        "recency": (days.groupby("customer_id")["date"].max() - first) / week,
        "T": (end - first) / week,
        "monetary_value": repeat.groupby("customer_id")["dollars"].mean(),
    }).fillna({"monetary_value": 0.0})


def compare(name: str, s: pd.DataFrame) -> list[tuple]:
    x, t_x, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    rows = s.groupby(["frequency", "recency", "T"]).size().reset_index(name="customers")
    rfm_rows = (rows["frequency"], rows["recency"], rows["T"])
    ones = np.ones_like(x)
    out = []
    for label, ours_cls, theirs_cls, ll in (
        ("BG/NBD", BetaGeoModel, lifetimes.BetaGeoFitter,
         lambda p: -lifetimes.BetaGeoFitter._negative_log_likelihood(np.log(list(p.values())), x, t_x, T, ones, 0) * x.size),
        ("Pareto/NBD", ParetoNBDModel, lifetimes.ParetoNBDFitter,
         lambda p: lifetimes.ParetoNBDFitter._conditional_log_likelihood(list(p.values()), x, t_x, T).sum()),
    ):
        began = time.perf_counter()
        ours = ours_cls().fit(x, t_x, T)
        ours_s = time.perf_counter() - began
        began = time.perf_counter()
        theirs = theirs_cls().fit(*rfm_rows, weights=rows["customers"]).params_.to_dict()
        theirs_s = time.perf_counter() - began
        out.append((name, label, ours.params_, theirs, ll(ours.params_), ll(theirs), ours_s, theirs_s))
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    f, m = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    began = time.perf_counter()
    ours = GammaGammaModel().fit(f, m)
    ours_s = time.perf_counter() - began
    began = time.perf_counter()
    theirs = lifetimes.GammaGammaFitter().fit(f, m).params_.rename({"v": "gamma"}).to_dict()
    theirs_s = time.perf_counter() - began
    gg_ll = lambda p: -lifetimes.GammaGammaFitter._negative_log_likelihood(  # noqa: E731
        np.log(list(p.values())), f, m, np.ones_like(f), 0) * f.size
    out.append((name, "Gamma-Gamma", ours.params_, theirs, gg_ll(ours.params_), gg_ll(theirs), ours_s, theirs_s))
    return out


def main() -> None:
    print("| data | model | ours | lifetimes | max param diff | log-lik ours | log-lik lifetimes | fit s (ours / lifetimes) |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for name in DATA:
        for data, label, ours, theirs, ll_ours, ll_theirs, ours_s, theirs_s in compare(name, summary(name)):
            diff = max(abs(ours[k] / theirs[k] - 1) for k in ours)
            fmt = lambda p: ", ".join(f"{k} {v:.4f}" for k, v in p.items())  # noqa: E731
            print(f"| {data} | {label} | {fmt(ours)} | {fmt(theirs)} | {diff:.1e} | {ll_ours:.4f} | {ll_theirs:.4f} "
                  f"| {ours_s:.1f} / {theirs_s:.1f} |")


if __name__ == "__main__":
    main()
