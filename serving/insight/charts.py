"""The report's charts: matplotlib figures from the aggregates, returned as inline SVG markup.

Text stays text (svg.fonttype none) so charts are small and readable at any width; the SVG keeps
its viewBox and loses its fixed size, so the page scales it to the column it sits in.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

INK, ACCENT, SOFT, WARN, GRID = "#1f2937", "#2563eb", "#93c5fd", "#dc2626", "#e5e7eb"
STYLE = {
    "svg.fonttype": "none", "font.family": "sans-serif", "font.size": 10, "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": GRID, "axes.axisbelow": True,
}


def to_svg(fig) -> str:
    """The figure as an <svg> element that scales with its container."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', svg, count=1)
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)


def _styled(draw):
    """Run a chart function under the report's style."""
    def wrapper(*args, **kwargs) -> str:
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)
    wrapper.__doc__ = draw.__doc__
    return wrapper


@_styled
def segment_shares(names: list[str], customer_shares: list[float], revenue_shares: list[float | None]) -> str:
    """Horizontal bars: each segment's share of customers next to its share of last-12-month revenue."""
    fig, ax = plt.subplots(figsize=(6, 0.38 * len(names) + 1.0), layout="constrained")
    rows = range(len(names))
    ax.barh([r + 0.2 for r in rows], customer_shares, height=0.4, color=SOFT, label="share of customers")
    ax.barh([r - 0.2 for r in rows], [s or 0 for s in revenue_shares], height=0.4, color=ACCENT,
            label="share of revenue (last 12 months)")
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    fig.legend(loc="outside upper center", ncols=2, frameon=False)
    return to_svg(fig)


@_styled
def segment_distributions(churn_counts: list[int], churn_edges: list[float], value_counts: list[int],
                          value_edges: list[float], currency: str) -> str:
    """Two small histograms for one segment card: chance of leaving and predicted value."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(4.6, 1.8))
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.27, top=0.86, wspace=0.35)
    for ax, counts, edges, color, title in ((left, churn_counts, churn_edges, WARN, "chance of leaving"),
                                            (right, value_counts, value_edges, ACCENT, "predicted value")):
        widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
        ax.bar(edges[:-1], counts, width=widths, align="edge", color=color, alpha=0.8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    left.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    right.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{currency}{v:,.0f}"))
    right.tick_params(axis="x", labelrotation=30)
    return to_svg(fig)


@_styled
def pareto(customer_shares: list[float], value_shares: list[float], marks: list[dict]) -> str:
    """The Pareto curve: share of predicted value held by the most valuable share of customers."""
    fig, ax = plt.subplots(figsize=(5.2, 3.6), layout="constrained")
    ax.plot(customer_shares, value_shares, color=ACCENT, linewidth=2, label="customers, most valuable first")
    ax.plot([0, 1], [0, 1], color="#9ca3af", linestyle="--", linewidth=1, label="if everyone were worth the same")
    for mark in marks:
        if mark["share_of_value"] is None:
            continue
        ax.plot([mark["share_of_customers"]], [mark["share_of_value"]], "o", color=INK, markersize=4)
        ax.annotate(f"top {100 * mark['share_of_customers']:.0f} %: {100 * mark['share_of_value']:.0f} %",
                    (mark["share_of_customers"], mark["share_of_value"]), textcoords="offset points",
                    xytext=(8, -12), fontsize=9)
    ax.set_xlabel("share of customers")
    ax.set_ylabel("share of predicted value")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", frameon=False)
    return to_svg(fig)


@_styled
def weekly(week_labels: list[str], next_orders: list[int], per_week: float) -> str:
    """Bars: customers whose expected next order falls in each week; a line: expected orders per week."""
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    positions = range(len(next_orders))
    ax.bar(positions, next_orders, color=ACCENT, label="customers expected to order next that week")
    ax.axhline(per_week, color=WARN, linewidth=1.5, label=f"expected orders per week, all customers ({per_week:,.0f})")
    step = max(1, len(week_labels) // 8)
    ax.set_xticks(list(positions)[::step], week_labels[::step], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel("customers / orders")
    fig.legend(loc="outside upper center", ncols=1, frameon=False, fontsize=8)
    return to_svg(fig)


@_styled
def bars(labels: list[str], values: list[float], *, percent: bool = False, color: str = ACCENT,
         xlabel: str = "") -> str:
    """Horizontal bars for a short list (channels, quarantine reasons, drift)."""
    fig, ax = plt.subplots(figsize=(5.5, 0.32 * len(labels) + 0.9), layout="constrained")
    ax.barh(range(len(labels)), values, color=color)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"))
    return to_svg(fig)
