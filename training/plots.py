"""Figures for a training run: gains, calibration, feature importance, segment profiles."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from training import metrics  # noqa: E402


def gains_figure(labels: np.ndarray, scores: dict[str, np.ndarray], title: str) -> Figure:
    """Cumulative gains of several scorers for one binary outcome."""
    fig, ax = plt.subplots(figsize=(5, 4))
    deciles = np.arange(0, 11) / 10
    for name, score in scores.items():
        ax.plot(deciles, np.concatenate([[0], metrics.lift_table(labels, score)]), marker="o", label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    ax.set(xlabel="share of customers targeted", ylabel="share of outcomes captured", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def calibration_figure(labels: np.ndarray, probabilities: dict[str, np.ndarray], title: str) -> Figure:
    """Observed rate against mean predicted probability, per decile; the legend gives each
    candidate's lowest and highest probability, so a saturated calibration (0 or 1) shows."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, p in probabilities.items():
        mean_p, rate, _ = metrics.calibration_table(labels, p)
        ax.plot(mean_p, rate, marker="o", label=f"{name} [{np.nanmin(p):.4f}, {np.nanmax(p):.4f}]")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect")
    ax.set(xlabel="predicted probability", ylabel="observed rate", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def importance_figure(importance: pd.Series, title: str, top: int = 20) -> Figure:
    """Horizontal bars of the largest total gains."""
    shown = importance.head(top)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(shown) + 1))
    ax.barh(shown.index, shown.to_numpy())
    ax.set(xlabel="total gain", title=title)
    fig.tight_layout()
    return fig


def segment_figure(profiles: pd.DataFrame) -> Figure:
    """Share of customers and of revenue per segment."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(profiles) + 1.5))
    y = np.arange(len(profiles))
    ax.barh(y - 0.2, profiles["share_customers"], height=0.4, label="customers")
    ax.barh(y + 0.2, profiles["share_revenue"], height=0.4, label="revenue")
    ax.set_yticks(y, [f"{i}: {n}" for i, n in zip(profiles["segment_id"], profiles["name"], strict=True)])
    ax.set(xlabel="share", title="segments")
    ax.legend()
    fig.tight_layout()
    return fig


def orders_figure(actual: np.ndarray, predicted: dict[str, np.ndarray]) -> Figure:
    """Mean actual vs predicted orders per decile of predicted orders (first scorer's deciles)."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, p in predicted.items():
        order = np.argsort(p, kind="stable")
        groups = [g for g in np.array_split(order, 10) if g.size]
        ax.plot([p[g].mean() for g in groups], [actual[g].mean() for g in groups], marker="o", label=name)
    top = max(float(np.max(actual.mean())) * 3, 1.0)
    ax.plot([0, top], [0, top], color="grey", linestyle="--")
    ax.set(xlabel="predicted orders", ylabel="actual orders", title="orders by predicted decile")
    ax.legend()
    fig.tight_layout()
    return fig


def qini_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> Figure:
    """Qini curves (customers targeted -> incremental converters) with the random diagonal."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (x, gain) in curves.items():
        ax.plot(x / x[-1], gain, label=name)
    x, gain = next(iter(curves.values()))
    ax.plot([0, 1], [0, gain[-1]], color="grey", linestyle="--", label="random")
    ax.set(xlabel="share of customers targeted", ylabel="incremental converters", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
