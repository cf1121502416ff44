"""Benchmark: the BTYD estimators against lifetimes' fitters on the CDNOW sample and master log.

    .venv/bin/python bench/btyd_reference.py            # fits against lifetimes, then the churn scores

The usual way of fitting lifetimes: every line's customer-day is a purchase event (whatever its
value), recency and T in weeks; the sample to 1997-09-30 (39 weeks, Fader, Hardie & Lee 2005),
the master log to 1997-12-31 (`insight demo`'s cutoff). lifetimes is fitted on the distinct
(frequency, recency, T) rows with their customer counts as weights. Both maxima are measured with
lifetimes' own likelihood code. Prints one table row per model and data set.

Then the churn ranking on CDNOW as of 1997-12-31 with 182 days (bench/models.py's case), for each
score a BTYD model offers (P(no purchase in the horizon), P(alive), expected purchases), on the
project's holdout (customers with a paid order, paid purchase days) and on the reference's (every
customer, every line's day a purchase event).
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


def churn_scores() -> list[tuple[str, str, str, int, float]]:
    """(population, model, score, customers, ROC-AUC) on CDNOW 1997-12-31 + 182 days."""
    import tempfile

    from sklearn.metrics import roc_auc_score

    from features.ingest import ingest, load_mapping
    from features.pipeline import build_features, build_labels
    from training.baselines import Baselines

    as_of, horizon = pd.Timestamp("1997-12-31"), 182
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = ingest(cdnow_master_path(), load_mapping(preset="cdnow"), Path(tmp) / "cdnow").transactions_path
        frame = build_features(path, as_of.date()).merge(build_labels(path, as_of.date(), horizon), on="customer_id")
    churned = frame["label_churned"].to_numpy()
    baselines = Baselines(horizon).fit(frame).transform(frame)
    for model in ("bgnbd", "pnbd"):
        for label, column, sign in (("P(no purchase)", "p_purchase", -1), ("P(alive)", "p_alive", -1),
                                    ("expected purchases", "expected_orders", -1)):
            out.append(("paid orders (project)", model, label, len(frame),
                        roc_auc_score(churned, sign * baselines[f"{model}_{column}"])))
    everyone = summary("master")
    raw = pd.read_csv(cdnow_master_path(), sep=r"\s+", header=0, names=DATA["master"][1], dtype={"customer_id": str})
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    window = raw[(raw["date"] > as_of) & (raw["date"] <= as_of + pd.Timedelta(days=horizon)) & (raw["dollars"] > 0)]
    bought = everyone.index.isin(window["customer_id"])
    x, t_x, T = (everyone[c].to_numpy() for c in ("frequency", "recency", "T"))
    for label, model in (("bgnbd", BetaGeoModel().fit(x, t_x, T)), ("pnbd", ParetoNBDModel().fit(x, t_x, T))):
        t = horizon / 7
        for name, score in (("P(no purchase)", -model.probability_of_purchase(x, t_x, T, t=t)),
                            ("P(alive)", -model.probability_alive(x, t_x, T)),
                            ("expected purchases", -model.expected_purchases(x, t_x, T, t=t))):
            out.append(("every customer (reference)", label, name, len(everyone), roc_auc_score(~bought, score)))
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
    print("\n| holdout | model | churn score | customers | ROC-AUC |\n|---|---|---|---:|---:|")
    for population, model, label, customers, auc in churn_scores():
        print(f"| {population} | {model} | {label} | {customers:,} | {auc:.4f} |")


if __name__ == "__main__":
    main()
