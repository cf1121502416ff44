"""The insight report as one self-contained HTML page: the aggregates in words, numbers formatted
for people, charts inline as SVG, through the Jinja2 template beside this module."""

from __future__ import annotations

from importlib import resources

import jinja2

from serving.insight import charts
from serving.insight.words import count, days, label, money, number, percent, plain, rule_in_words

TEMPLATE = "report.html.j2"
SECTIONS = (("glance", "The base at a glance"), ("segments", "Segments"), ("value", "Who matters most"),
            ("matrix", "Risk × value"), ("timing", "When they will buy"), ("audiences", "Audiences"),
            ("channels", "Channels and engagement"), ("quality", "Data quality"), ("drift", "Drift"))
DAY_FEATURES = frozenset({"recency_days", "tenure_days", "gap_median_days", "gap_mean_days", "gap_first_days",
                          "btyd_T", "btyd_recency", "days_since_return"})
MONEY_FEATURES = frozenset({"spend_total", "order_value_mean", "spend_365d", "btyd_monetary", "order_value_max",
                            "spend_90d", "spend_30d", "spend_180d"})
SHARE_FEATURES = frozenset({"nov_dec_order_share", "nov_dec_spend_share", "return_rate", "categories_180d_share"})
ACRONYMS = {"vip": "VIP"}
DRIFT_SHOWN = 12


def render(data: dict, currency: str = "$") -> str:
    """The page for `data` (see `serving.insight.report.collect`)."""
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_template), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    channels = data.get("channel_names") or {}
    view = {
        "sections": SECTIONS,
        "glance": _glance(data["glance"], currency),
        "segments": _segments(data["segments"], data["histogram_edges"], currency, channels),
        "value": _value(data["value"], currency),
        "matrix": _matrix(data["matrix"], currency),
        "timing": _timing(data["timing"]),
        "audiences": _audiences(data["audiences"]),
        "channels": _channels(data["channels"]),
        "engagement": _engagement(data.get("engagement", [])),
        "quality": _quality(data["quality"]),
        "drift": _drift(data["drift"], channels),
    }
    return env.get_template(TEMPLATE).render(**view)


def _template(name: str) -> str:
    return resources.files("serving.insight").joinpath("templates", name).read_text("utf-8")


def value_of(feature: str, value: float | None, currency: str) -> str:
    """A feature's value in its unit: days, money, a share or a number."""
    if feature in DAY_FEATURES:
        return days(value)
    if feature in MONEY_FEATURES:
        return money(value, currency)
    if feature in SHARE_FEATURES:
        return percent(value, 0)
    return number(value, 1 if value is not None and value != round(value) else 0)


def audience_name(name: str) -> str:
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _glance(g: dict, currency: str) -> dict:
    versions = ", ".join(f"{name} v{version}" for name, version in sorted(g["model_versions"].items()))
    tiles = [
        ("customers", "Customers", count(g["customers"]), "everyone with an order up to the cutoff"),
        ("active_customers", "Active customers", count(g["active_customers"]), "ordered in the last 12 months"),
        ("revenue_12m", "Revenue, last 12 months", money(g["revenue_12m"], currency), "net of returns"),
        ("repeat_rate", "Repeat rate", percent(g["repeat_rate"]),
         f"{count(g['repeat_customers'])} of {count(g['buyers'])} buyers ordered again"),
        ("median_days_between_orders", "Days between orders", days(g["median_days_between_orders"]),
         "median over repeat customers"),
        ("median_days_to_second_order", "Days to the second order", days(g["median_days_to_second_order"]),
         "median over customers who came back"),
        ("predicted_value", "Predicted value", money(g["predicted_value"], currency),
         "all customers, over the horizon"),
    ]
    statuses = {"scored": "scored by the models", "no_paid_orders": "only free orders so far",
                "returns_only": "only returns (not scored)"}
    return {"tiles": tiles, "as_of": g["as_of"], "versions": versions or "not recorded",
            "statuses": [(statuses.get(k, plain(k)), count(v)) for k, v in g["by_status"].items()]}


def _segments(cards: list[dict], edges: dict, currency: str, channels: dict[str, str]) -> dict:
    names = [plain(c["name"]) for c in cards]
    out = []
    for card, name in zip(cards, names, strict=True):
        apart = [f"{_capital(label(d['feature'], channels))}: {value_of(d['feature'], d['segment'], currency)}, against "
                 f"{value_of(d['feature'], d['base'], currency)} for the whole base" for d in card["distinctions"]]
        moves = card["moves"]
        out.append({
            "name": name, "key": card["name"],
            "customers": count(card["customers"]), "customer_share": percent(card["customer_share"]),
            "revenue_share": percent(card["revenue_share"]), "value_share": percent(card["value_share"]),
            "revenue": money(card["revenue_12m"], currency),
            "medians": [("days since the last order", days(card["median_recency_days"])),
                        ("orders", number(card["median_orders"], 0 if (card["median_orders"] or 0) % 1 == 0 else 1)),
                        ("spend to date", money(card["median_spend"], currency)),
                        ("chance of leaving", percent(card["median_churn"], 0)),
                        ("predicted value", money(card["median_value"], currency, 0))],
            "apart": apart or ["Close to the whole base on recency, orders and spend."],
            "chart": charts.segment_distributions(card["churn_histogram"], edges["churn"], card["value_histogram"],
                                                  edges["value"], currency),
            "moves": None if moves is None else {k: count(v) for k, v in moves.items()},
        })
    chart = charts.segment_shares(names, [c["customer_share"] for c in cards], [c["revenue_share"] for c in cards])
    return {"cards": out, "chart": chart, "has_moves": any(c["moves"] is not None for c in cards)}


def _value(v: dict, currency: str) -> dict:
    top = [{"key": f"top{round(100 * t['share_of_customers'])}", "label": f"Top {100 * t['share_of_customers']:.0f} %",
            "customers": count(t["customers"]), "share": percent(t["share_of_value"])} for t in v["top"]]
    tiers = [{"name": t["name"], "customers": count(t["customers"]), "value": money(t["predicted_value"], currency),
              "share": percent(t["share_of_value"]), "lowest": money(t["lowest_value"], currency),
              "churn": percent(t["median_churn"], 0)} for t in v["tiers"]]
    risk = v["at_risk"]
    listed = [{"id": r["customer_id"], "segment": plain(r["segment"]), "value": money(r["predicted_value"], currency),
               "churn": percent(r["churn"], 0), "recency": days(r["recency_days"])} for r in risk["listed"]]
    twenty = next((t for t in v["top"] if abs(t["share_of_customers"] - 0.2) < 1e-9), None)
    return {
        "chart": charts.pareto(v["curve"]["customers"], v["curve"]["value"], v["top"]),
        "top": top, "tiers": tiers, "customers": count(v["customers"]),
        "lead": (f"The most valuable 20 % of customers hold {percent(twenty['share_of_value'])} of the predicted value."
                 if twenty and twenty["share_of_value"] is not None else ""),
        "at_risk": {"customers": count(risk["customers"]), "valuable": count(risk["valuable_customers"]),
                    "value": money(risk["predicted_value"], currency), "revenue": money(risk["revenue_12m"], currency),
                    "listed": listed},
    }


def _matrix(m: dict, currency: str) -> dict:
    rows = []
    worst = max((c["at_stake"] for c in m["cells"].values()), default=0.0) or 1.0
    for band in reversed(m["risk_bands"]):
        cells = []
        for value_band in m["value_bands"]:
            key = f"{band['key']}|{value_band['key']}"
            cell = m["cells"][key]
            cells.append({"key": key, "customers": count(cell["customers"]), "stake": money(cell["at_stake"], currency),
                          "value": money(cell["predicted_value"], currency),
                          "heat": round(0.08 + 0.6 * cell["at_stake"] / worst, 2) if cell["at_stake"] > 0 else 0.0})
        bounds = f"{percent(band['low'], 0)}–{percent(band['high'], 0)}"
        rows.append({"name": band["name"], "bounds": bounds, "cells": cells})
    return {"columns": [b["name"] for b in m["value_bands"]], "rows": rows,
            "total": money(m["total_at_stake"], currency)}


def _timing(t: dict) -> dict:
    labels = [f"week of {s[5:]}" for s in t["week_starts"]]
    f = t["festive"]
    if f["customers"] == 0:
        festive = "No customer places most of their orders in November–December."
    elif f["in_season"]:
        festive = (f"{count(f['customers'])} festive customers ({percent(f['share_of_base'])} of the base) place most "
                   f"orders in November–December; the season is on now and {count(f['due'])} of them are likely "
                   "still "
                   "active (chance of leaving below 50 %).")
    else:
        when = "within the horizon" if f["season_within_horizon"] else "after the horizon"
        festive = (f"{count(f['customers'])} festive customers ({percent(f['share_of_base'])} of the base) place most "
                   f"orders in November–December. Their season starts on {f['season_start']}, in "
                   f"{days(f['days_to_season'])} ({when}); {count(f['likely_active'])} of them are likely still active"
                   + (f", so {count(f['due'])} are due." if f["season_within_horizon"] else "."))
    return {
        "chart": charts.weekly(labels, t["next_order_per_week"], t["expected_orders_per_week"]),
        "horizon": days(t["horizon_days"]), "weeks": t["weeks"], "expected_orders": number(t["expected_orders"], 0),
        "per_week": number(t["expected_orders_per_week"], 0),
        "buyers_30d": number(t["expected_buyers_30d"], 0), "buyers_90d": number(t["expected_buyers_90d"], 0),
        "later": count(t["next_order_later"]), "none": count(t["next_order_none"]),
        "festive": festive, "festive_count": count(f["customers"]), "festive_due": count(f["due"]),
    }


def _audiences(a: dict | None) -> dict | None:
    if a is None:
        return None
    lists = []
    for entry in a["lists"]:
        runs = []
        for c in entry["campaigns"]:
            r = c["report"]
            runs.append({"id": c["campaign_id"], "treated": count(c["treated"]), "control": count(c["control"]),
                         "lift": None if r is None else
                         f"{100 * r['lift']:+.1f} points [{100 * r['low']:.1f}, {100 * r['high']:.1f}]",
                         "verdict": None if r is None else r["verdict"],
                         "rates": None if r is None else
                         f"{percent(r['treated_rate'])} of treated against {percent(r['control_rate'])} "
                         "of control bought",
                         "complete": True if r is None else r["window_complete"]})
        control = runs[0]["control"] if runs else f"{count(entry['planned_control'])} planned"
        lists.append({"key": entry["name"], "name": audience_name(entry["name"]), "description": entry["description"],
                      "rule": rule_in_words(entry["rule"]), "customers": count(entry["customers"]),
                      "eligible": count(entry["eligible"]), "elsewhere": count(entry["placed_elsewhere"]),
                      "control": control, "control_share": percent(entry["control_share"], 0), "campaigns": runs})
    return {"lists": lists, "placed": count(a["placed"]), "scored": count(a["customers_scored"]),
            "min_control": count(a["min_control_size"])}


def _channels(rows: list[dict]) -> dict | None:
    if not rows:
        return None
    return {"rows": [{"name": r["channel"], "share": percent(r["order_share"]),
                      "last": count(r["last_order_customers"])} for r in rows],
            "chart": charts.bars([r["channel"] for r in rows], [r["order_share"] or 0 for r in rows], percent=True,
                                 xlabel="share of all orders")}


FAMILY_NAMES = {"web": "Website and app visits", "email": "Email", "service": "Customer service",
                "feedback": "Surveys and reviews"}
SHARE_HOWS = frozenset({"active", "mean"})
SCORE_FEATURES = frozenset({"last_nps", "last_csat", "review_rating_mean"})


def _engagement(families: list[dict]) -> list[dict]:
    out = []
    for f in families:
        facts = []
        for fact in f["facts"]:
            if fact["feature"] in DAY_FEATURES or fact["feature"].startswith("days_since"):
                shown = days(fact["value"])
            elif fact["feature"] in SCORE_FEATURES:
                shown = number(fact["value"], 1)
            else:
                shown = percent(fact["value"], 0) if fact["how"] in SHARE_HOWS else number(fact["value"], 1)
            facts.append((fact["words"], shown))
        out.append({"name": FAMILY_NAMES.get(f["family"], plain(f["family"])), "customers": count(f["customers"]),
                    "share": percent(f["share_of_base"]), "facts": facts})
    return out


def _quality(q: dict | None) -> dict | None:
    if q is None:
        return None
    reasons = sorted((q["quarantined_by_reason"] or {}).items(), key=lambda kv: -kv[1])
    return {"rows_in": count(q["rows_in"]), "accepted": count(q["rows_accepted"]),
            "quarantined": count(q["rows_quarantined"]),
            "quarantined_share": percent(q["rows_quarantined"] / q["rows_in"] if q["rows_in"] else None, 2),
            "balanced": q["balanced"], "source": q["source"], "first": (q["first_timestamp"] or "")[:10],
            "last": (q["last_timestamp"] or "")[:10], "customers": count(q["customers"]),
            "reasons": [(plain(k), count(v)) for k, v in reasons],
            "chart": charts.bars([plain(k) for k, _ in reasons], [v for _, v in reasons], color=charts.WARN,
                                 xlabel="lines quarantined") if reasons else None}


def _drift(d: dict, channels: dict[str, str], shown: int = DRIFT_SHOWN) -> dict:
    if not d["available"]:
        return {"available": False}
    items = []
    gap = d["days_since_training"]
    when = ("" if gap is None else f"scored {days(gap)} after training" if gap >= 0
            else f"scored {days(-gap)} before the training cutoff")
    for f in d["features"]:
        name = label(f["feature"], channels)
        above = f["share_above_reference_median"]
        where = ("" if above is None else
                 f" {percent(above, 0)} of customers are above the training median (half were).")
        if f["ageing"]:
            text = (f"{_capital(name)} moved: expected, because it grows as the base gets older ({when}).{where}")
        elif f["shifted"]:
            text = f"{_capital(name)} has shifted since training.{where} Worth a retrain if it persists."
        else:
            text = f"{_capital(name)} moved a little since training.{where}"
        items.append({"name": name, "psi": number(f["psi"], 2), "text": text, "ageing": f["ageing"],
                      "shifted": f["shifted"]})
    real = [i for i in items if i["shifted"] and not i["ageing"]]
    ageing = [i for i in items if i["ageing"]]
    if not items:
        lead = f"None of the {d['features_checked']} features moved noticeably since training ({d['trained_as_of']})."
    else:
        lead = (f"{len(items)} of {d['features_checked']} features moved since the models were trained "
                f"(as of {d['trained_as_of']}; this base is {when}): {len(ageing)} of them only because the base "
                f"is older, {len(real)} shifted for other reasons.")
    top = items[:shown]
    chart = charts.bars([i["name"] for i in top], [f["psi"] for f in d["features"][:shown]], color=charts.ACCENT,
                        xlabel="population stability index (above 0.25: a real shift)") if items else None
    return {"available": True, "lead": lead, "features": top, "more": max(0, len(items) - shown), "chart": chart}
