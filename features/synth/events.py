"""Engagement events of a simulated chunk: visits, emails, texts, push, tickets, surveys, reviews.

Weekly, like the orders (`timeline`), and on a random stream of its own, so the transactions are
the same with or without events. Behaviour, not a signal planted for a model:

- visits follow each customer's own engagement level (heterogeneous, only loosely tied to the
  purchase rate), week-to-week noise, everyday seasonality and more browsing in the weeks before
  November-December (much more for festive buyers); they begin a few weeks before the first order;
- most customers who go on to decline fade first, from a random lead before the decline at a
  random pace; about a third show nothing until they stop; after churn a few still browse a little;
- every week a newsletter goes to every subscriber (twice a week for a heavy-send segment), and
  the platform keeps mailing lapsed customers; opens depend on the customer's own propensity and
  engagement and fall with fatigue (many recent sends), which also raises the unsubscribe hazard;
  a few addresses bounce and are dropped;
- after some orders a survey answer (NPS, or CSAT) or a review follows; scores reflect a fixed
  satisfaction trait and, weakly and noisily, whether the customer is about to decline; returned
  orders often open a service ticket, most of them resolved within days;
- prospects (never buy) browse and read newsletters too; email events carry the address as their
  key (source 'email'), as an email platform's export would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.events.schema import to_canonical_events
from features.synth.calendar import WEEK, Calendar
from features.synth.population import NEVER, Population
from features.synth.profiles import BEHAVIOURS, CHANNELS
from features.synth.timeline import SECONDS_PER_DAY, Fates, Orders

PROSPECT_SHARE = 0.25
SESSIONS_PER_WEEK = 0.35
FADING_SHARE = 0.65
HEAVY_SEND_SHARE = 0.2
SUBSCRIBED_SHARE = 0.75
BOUNCING_SHARE = 0.03
SURVEY_PER_ORDER = 0.08
REVIEW_PER_ORDER = 0.04
TICKET_PER_RETURN = 0.4
EMAIL_DOMAIN = "mail.example"
_FESTIVE = BEHAVIOURS.index("festive")
_APP = CHANNELS.index("app")


def simulate_events(pop: Population, fates: Fates, orders: Orders, calendar: Calendar,
                    customer_ids: np.ndarray, first_prospect: int, rng: np.random.Generator) -> pd.DataFrame:
    """Canonical events of the chunk's customers and of PROSPECT_SHARE as many prospects, whose
    ids are P<number> from `first_prospect` + 1."""
    n_prospects = prospects_for(pop.size)
    people = _people(pop, fates, calendar, n_prospects, rng)
    ids = np.concatenate([np.asarray(customer_ids, dtype=object),
                          np.array([f"P{first_prospect + k + 1:09d}" for k in range(n_prospects)], dtype=object)])
    weekly = _weekly(people, calendar, rng)
    after_orders = _after_orders(people, orders, rng)
    frame = pd.concat([weekly, after_orders], ignore_index=True)
    frame = frame[frame["at"] < calendar.n_days * SECONDS_PER_DAY]
    start = pd.Timestamp(calendar.first_day).tz_localize("UTC")
    customer = ids[frame["person"].to_numpy()]
    email = frame["channel"].to_numpy() == "email"
    address = np.char.add(np.char.lower(customer.astype(str)), f"@{EMAIL_DOMAIN}")
    out = pd.DataFrame({
        "customer_id": customer,
        "timestamp": start + pd.to_timedelta(frame["at"].to_numpy(), unit="s"),
        "event_type": frame["event_type"].to_numpy(),
        "channel": frame["channel"].to_numpy(),
        "campaign_id": frame["campaign_id"].to_numpy(),
        "value": frame["value"].to_numpy(),
        "properties": frame["properties"].to_numpy(),
        "source": np.where(email, "email", None),
        "source_customer_id": np.where(email, address, None),
    })
    out = out.sort_values(["customer_id", "timestamp"], kind="stable")
    return to_canonical_events(out)


def prospects_for(customers: int) -> int:
    """How many prospects a chunk of `customers` customers has."""
    return int(round(PROSPECT_SHARE * customers))


class _People:
    """Per person (customers then prospects): weeks of activity and the traits events depend on."""

    def __init__(self, **arrays: np.ndarray) -> None:
        self.__dict__.update(arrays)
        self.size = len(arrays["first_week"])


def _people(pop: Population, fates: Fates, calendar: Calendar, n_prospects: int, rng) -> _People:
    n = pop.size + n_prospects
    weeks = calendar.n_weeks
    acquisition = np.concatenate([pop.acquisition_day, rng.integers(0, calendar.n_days, n_prospects)]) // WEEK
    first_week = np.maximum(acquisition - rng.geometric(0.35, n) + 1, 0)
    decline = np.concatenate([np.minimum(fates.decline_day, NEVER), np.full(n_prospects, NEVER)])
    churn = np.concatenate([np.minimum(fates.churn_day, NEVER), np.full(n_prospects, NEVER)])
    decline_week = np.where(decline < NEVER, decline // WEEK, NEVER)
    churn_week = np.where(churn < NEVER, churn // WEEK, NEVER)
    prospect = np.arange(n) >= pop.size
    rate = np.concatenate([pop.base_rate, np.zeros(n_prospects)])
    level = SESSIONS_PER_WEEK * rng.lognormal(-0.2, 0.7, n) * (0.6 + 0.4 * np.minimum(rate / 6.0, 2.0))
    level[prospect] *= 0.4
    fades = rng.random(n) < FADING_SHARE
    lead = rng.integers(0, 9, n)
    pace = rng.uniform(3.0, 12.0, n)
    return _People(
        first_week=first_week, acquisition_week=acquisition, decline_week=decline_week,
        churn_week=churn_week, fades=fades, fade_start=np.where(decline_week < NEVER, decline_week - lead, NEVER),
        pace=pace, level=level, prospect=prospect,
        festive=np.concatenate([pop.behaviour == _FESTIVE, np.zeros(n_prospects, bool)]),
        app=np.concatenate([pop.channel == _APP, rng.random(n_prospects) < 0.3]),
        subscribed=rng.random(n) < np.where(prospect, 0.6, SUBSCRIBED_SHARE),
        bouncing=rng.random(n) < BOUNCING_SHARE,
        heavy=rng.random(n) < HEAVY_SEND_SHARE,
        open_propensity=rng.normal(-0.6, 1.0, n),
        satisfaction=rng.normal(0.0, 1.0, n),
        n_weeks=weeks,
    )


def _engagement(p: _People, week: int) -> np.ndarray:
    """Each person's engagement multiplier in `week`: fading before a decline (for the customers
    who fade), low after churn, 0 before their first visit."""
    factor = np.ones(p.size)
    fading = p.fades & (week >= p.fade_start)
    factor[fading] = np.maximum(np.exp(-(week - p.fade_start[fading]) / p.pace[fading]), 0.08)
    gone = week >= p.churn_week
    since = week - np.where(gone, p.churn_week, 0)
    factor[gone] = np.minimum(factor[gone], np.where(since[gone] < 12, 0.15, 0.04))
    one_off = p.prospect & (week > p.first_week + 8)
    factor[one_off] *= 0.3
    factor[week < p.first_week] = 0.0
    return factor


def _weekly(p: _People, calendar: Calendar, rng) -> pd.DataFrame:
    upcoming = np.convolve(calendar.week_festive_days[::-1], np.ones(5), mode="full")[: calendar.n_weeks][::-1]
    pre_festive = np.clip(upcoming / 35.0, 0.0, 1.0) * (calendar.week_festive_days < 7)
    pieces: list[dict] = []
    subscribed = p.subscribed.copy()
    recent_sends = np.zeros((4, p.size), dtype=np.int64)
    recent_opens = np.zeros((4, p.size), dtype=np.int64)
    for week in range(calendar.n_weeks):
        engaged = _engagement(p, week)
        browse = calendar.week_season[week] * (1.0 + pre_festive[week] * np.where(p.festive, 2.5, 0.5))
        noise = rng.gamma(2.0, 0.5, p.size)
        sessions = rng.poisson(p.level * engaged * browse * noise)
        views = rng.poisson(1.6 * sessions)
        pages = rng.poisson(1.2 * sessions)
        carts = rng.binomial(sessions, 0.12)
        pushes = rng.poisson(0.08 * engaged * p.app)
        base = week * WEEK * SECONDS_PER_DAY
        channel = np.where(p.app, "app", "web")
        for kind, counts in (("session", sessions), ("product_view", views), ("page_view", pages),
                             ("add_to_cart", carts)):
            pieces.append(_expand(counts, kind, channel, base, rng))
        pieces.append(_expand(pushes, "push_open", np.full(p.size, "push"), base, rng))

        mailable = subscribed & (week >= p.acquisition_week - 1) & (week >= p.first_week)
        sends = np.where(mailable, 1 + p.heavy, 0)
        bounced = mailable & p.bouncing
        subscribed &= ~bounced
        fatigue = np.maximum(recent_sends.sum(axis=0) - 4, 0)
        logit = p.open_propensity + 1.2 * np.log(np.maximum(engaged, 0.02)) - 0.3 * fatigue
        opens = rng.binomial(np.where(bounced, 0, sends), 1.0 / (1.0 + np.exp(-logit)))
        clicks = rng.binomial(opens, 0.12 + 0.15 * np.minimum(engaged, 1.0))
        unsubscribe_hazard = 0.0015 + 0.004 * fatigue + 0.002 * (recent_opens.sum(axis=0) == 0)
        unsubscribed = mailable & ~bounced & (rng.random(p.size) < unsubscribe_hazard)
        subscribed &= ~unsubscribed
        recent_sends[week % 4], recent_opens[week % 4] = sends, opens
        campaign = f"nl-{week:04d}"
        email = np.full(p.size, "email")
        send_at = base + 9 * 3600
        pieces.append(_expand(sends, "email_sent", email, send_at, rng, spread=0, campaign=campaign))
        pieces.append(_expand(bounced.astype(np.int64), "email_bounce", email, send_at + 60, rng, spread=0,
                              campaign=campaign))
        pieces.append(_expand(opens, "email_open", email, send_at + 600, rng, spread=3 * SECONDS_PER_DAY,
                              campaign=campaign))
        pieces.append(_expand(clicks, "email_click", email, send_at + 900, rng, spread=3 * SECONDS_PER_DAY,
                              campaign=campaign))
        pieces.append(_expand(unsubscribed.astype(np.int64), "unsubscribe", email, send_at + 1200, rng,
                              spread=2 * SECONDS_PER_DAY, campaign=campaign))
    return pd.DataFrame({k: np.concatenate([piece[k] for piece in pieces]) for k in pieces[0]})


def _expand(counts: np.ndarray, kind: str, channel: np.ndarray, base: int, rng, *,
            spread: int = WEEK * SECONDS_PER_DAY, campaign: str | None = None) -> dict[str, np.ndarray]:
    """One event per unit of `counts[person]`, at `base` plus a uniform offset within `spread`."""
    person = np.repeat(np.arange(counts.size), counts)
    offset = rng.integers(0, spread, person.size) if spread else np.zeros(person.size, np.int64)
    return {
        "person": person,
        "at": base + offset,
        "event_type": np.full(person.size, kind, dtype=object),
        "channel": channel[person].astype(object),
        "campaign_id": np.full(person.size, campaign, dtype=object),
        "value": np.full(person.size, np.nan),
        "properties": np.full(person.size, None, dtype=object),
    }


def _after_orders(p: _People, orders: Orders, rng) -> pd.DataFrame:
    """Survey answers and reviews after some orders, tickets after returned ones."""
    person, at = orders.customer, orders.at
    soon = (p.decline_week[person] < NEVER) & (p.decline_week[person] * WEEK * SECONDS_PER_DAY - at
                                                < 120 * SECONDS_PER_DAY)
    trait = p.satisfaction[person]
    n = orders.size
    frames = []
    survey = rng.random(n) < SURVEY_PER_ORDER
    csat = rng.random(n) < 0.3
    nps = np.clip(np.round(7.6 + 1.4 * trait - 1.5 * soon + rng.normal(0, 1.6, n)), 0, 10)
    csat_score = np.clip(np.round(4.0 + 0.6 * trait - 0.6 * soon + rng.normal(0, 0.8, n)), 1, 5)
    frames.append(pd.DataFrame({
        "person": person[survey], "at": at[survey] + rng.integers(SECONDS_PER_DAY, 6 * SECONDS_PER_DAY, survey.sum()),
        "event_type": "survey_response", "channel": "survey", "campaign_id": None,
        "value": np.where(csat, csat_score, nps)[survey],
        "properties": np.where(csat, '{"survey": "csat"}', '{"survey": "nps"}')[survey],
    }))
    review = rng.random(n) < REVIEW_PER_ORDER
    rating = np.clip(np.round(4.0 + 0.7 * trait - 0.5 * soon + rng.normal(0, 1.0, n)), 1, 5)
    frames.append(pd.DataFrame({
        "person": person[review], "at": at[review] + rng.integers(3 * SECONDS_PER_DAY, 20 * SECONDS_PER_DAY,
                                                                  review.sum()),
        "event_type": "review", "channel": "web", "campaign_id": None, "value": rating[review], "properties": None,
    }))
    ticket = (orders.returned & (rng.random(n) < TICKET_PER_RETURN)) | (rng.random(n) < 0.01)
    opened_at = at[ticket] + rng.integers(SECONDS_PER_DAY, 10 * SECONDS_PER_DAY, ticket.sum())
    numbers = np.flatnonzero(ticket)
    properties = np.array([f'{{"ticket_id": "T{k}"}}' for k in numbers], dtype=object)
    frames.append(pd.DataFrame({"person": person[ticket], "at": opened_at, "event_type": "ticket_opened",
                                "channel": "service", "campaign_id": None, "value": np.nan,
                                "properties": properties}))
    resolved = rng.random(ticket.sum()) < 0.85
    frames.append(pd.DataFrame({
        "person": person[ticket][resolved],
        "at": opened_at[resolved] + (rng.exponential(3.0, resolved.sum()) * SECONDS_PER_DAY).astype(np.int64) + 3600,
        "event_type": "ticket_resolved", "channel": "service", "campaign_id": None, "value": np.nan,
        "properties": properties[resolved],
    }))
    return pd.concat(frames, ignore_index=True)
