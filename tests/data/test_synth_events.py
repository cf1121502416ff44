"""The simulator's events: same transactions with or without them, realistic behaviour, keys."""

from __future__ import annotations

import pandas as pd
import pytest

from features.events import EVENTS_FILE
from features.synth import SimulationConfig, simulate, simulate_to_parquet

CONFIG = SimulationConfig(n_customers=2_500, seed=3, start="2021-07-01", end="2023-12-31", events=True)


@pytest.fixture(scope="module")
def sim():
    return simulate(CONFIG)


def test_events_do_not_change_the_transactions_and_are_reproducible(sim, tmp_path):
    plain = simulate(SimulationConfig(n_customers=2_500, seed=3, start="2021-07-01", end="2023-12-31"))
    assert plain.events is None
    pd.testing.assert_frame_equal(plain.transactions, sim.transactions)
    simulate_to_parquet(CONFIG, tmp_path / "base")
    written = pd.read_parquet(tmp_path / "base" / EVENTS_FILE)
    pd.testing.assert_frame_equal(written, sim.events, check_dtype=False)


def test_events_are_canonical_and_keyed_by_email_on_the_email_channel(sim):
    events = sim.events
    assert {"session", "product_view", "page_view", "add_to_cart", "email_sent", "email_open", "email_click",
            "email_bounce", "unsubscribe", "push_open", "ticket_opened", "ticket_resolved", "survey_response",
            "review"} == set(events["event_type"])
    email = events["channel"] == "email"
    assert (events.loc[email, "source"] == "email").all()
    expected = events.loc[email, "customer_id"].str.lower() + "@mail.example"
    assert (events.loc[email, "source_customer_id"] == expected).all()
    assert events["timestamp"].between(pd.Timestamp("2021-07-01", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC"),
                                       inclusive="left").all()
    surveys = events[events["event_type"] == "survey_response"]
    csat = surveys["properties"].str.contains("csat")
    assert surveys.loc[csat, "value"].between(1, 5).all() and surveys.loc[~csat, "value"].between(0, 10).all()


def test_prospects_browse_and_read_but_never_buy(sim):
    prospects = sim.events.loc[sim.events["customer_id"].str.startswith("P"), "customer_id"].unique()
    assert 400 < len(prospects) <= 625
    assert not set(prospects) & set(sim.transactions["customer_id"])


def _weekly_sessions(sim, customers: pd.Series, start: pd.Series, end: pd.Series) -> float:
    """Mean sessions per customer-week in [start, end) per customer."""
    sessions = sim.events[sim.events["event_type"] == "session"].merge(
        pd.DataFrame({"customer_id": customers, "start": start, "end": end}), on="customer_id")
    inside = sessions[(sessions["timestamp"] >= sessions["start"]) & (sessions["timestamp"] < sessions["end"])]
    weeks = ((end - start).dt.days / 7).sum()
    return len(inside) / weeks


def test_visits_fade_before_a_decline_for_most_but_not_all_churners(sim):
    truth = sim.truth
    declined = truth[truth["decline_date"].notna()
                     & (truth["decline_date"] - truth["acquisition_date"] > pd.Timedelta(days=260))]
    assert len(declined) > 80
    late = _weekly_sessions(sim, declined["customer_id"], declined["decline_date"],
                            declined["decline_date"] + pd.Timedelta(days=56))
    early = _weekly_sessions(sim, declined["customer_id"], declined["decline_date"] - pd.Timedelta(days=250),
                             declined["decline_date"] - pd.Timedelta(days=150))
    assert late < 0.75 * early
    per_customer = sim.events[sim.events["event_type"] == "session"].merge(declined, on="customer_id")
    before = per_customer[(per_customer["timestamp"] >= per_customer["decline_date"] - pd.Timedelta(days=250))
                          & (per_customer["timestamp"] < per_customer["decline_date"] - pd.Timedelta(days=150))]
    after = per_customer[(per_customer["timestamp"] >= per_customer["decline_date"])
                         & (per_customer["timestamp"] < per_customer["decline_date"] + pd.Timedelta(days=56))]
    ratio = (after.groupby("customer_id").size() / 8).div(before.groupby("customer_id").size() / 14.3, fill_value=0)
    assert (ratio > 0.8).sum() > 0.1 * len(declined)  # some show no warning


def test_browsing_rises_before_the_festive_season_most_for_festive_buyers(sim):
    sessions = sim.events[(sim.events["event_type"] == "session")
                          & ~sim.events["customer_id"].str.startswith("P")].merge(sim.truth, on="customer_id")
    month = sessions["timestamp"].dt.month
    def ratio(rows):
        return (rows["timestamp"].dt.month.isin([10, 11]).sum() / 61) / (rows["timestamp"].dt.month.isin([5, 6]).sum() / 61)
    festive = sessions["behaviour"] == "festive"
    assert ratio(sessions[~festive]) > 1.1 and ratio(sessions[festive]) > ratio(sessions[~festive]) + 0.3
    assert month.nunique() == 12


def test_email_fatigue_more_sends_fewer_opens_per_send(sim):
    emails = sim.events[sim.events["channel"] == "email"]
    counts = emails.pivot_table(index="customer_id", columns="event_type", values="timestamp", aggfunc="size",
                                fill_value=0)
    weeks = emails[emails["event_type"] == "email_sent"].groupby("customer_id")["campaign_id"].nunique()
    per_week = counts["email_sent"] / weeks
    rate = counts["email_open"] / counts["email_sent"]
    heavy, light = rate[per_week > 1.5], rate[per_week <= 1.05]
    assert len(heavy) > 100 and heavy.mean() < light.mean()
    unsubscribed = counts.get("unsubscribe", pd.Series(0, index=counts.index)) > 0
    assert unsubscribed[per_week > 1.5].mean() > unsubscribed[per_week <= 1.05].mean()


def test_survey_scores_are_lower_before_a_decline_but_noisy(sim):
    surveys = sim.events[(sim.events["event_type"] == "survey_response")
                         & ~sim.events["properties"].str.contains("csat")].merge(sim.truth, on="customer_id")
    soon = (surveys["decline_date"] - surveys["timestamp"]).dt.days.between(0, 110)
    assert soon.sum() > 40
    gap = surveys.loc[~soon, "value"].mean() - surveys.loc[soon, "value"].mean()
    assert 0.4 < gap < 3.0
    assert surveys.loc[soon, "value"].ge(9).mean() > 0.1  # promoters among those about to decline
