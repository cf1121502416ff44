"""Run a campaign on a simulated base: a treatment with a heterogeneous true effect, so tests and
benchmarks know the true lift of a campaign and the true uplift of every customer.

The base simulation is the world without the campaign (every customer's outcome under control).
Treatment acts only on treated members, through latent per-customer traits drawn from their
ground truth and from hidden noise:
- reach: the message is seen with a probability set by the preferred channel (app > web > store);
- response: a reached customer places one extra order (sometimes two) in the window with a
  probability that depends on behaviour, is higher during a decline (the wavering, persuadable),
  lower for customers who lapsed recently and zero for those gone longer, times a hidden
  promotion sensitivity;
- sleeping dogs: a few customers (more among loyal ones, who dislike being pushed) react badly
  when reached and stop buying from the campaign start with probability `backfire`.
Customers who would buy anyway ("sure things") gain an extra order sometimes but no conversion;
churned or unreachable ones ("lost causes") gain nothing.

The true uplift of a customer is the expected change in their window outcome given the world
without the campaign: for conversion, (1 - y0) * reach * (1 - dog) * response minus
y0 * reach * dog * backfire, where y0 is whether they bought in the window anyway. The true lift of
a campaign is its mean over the audience: what a randomised control group estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.schema import to_canonical_frame

REACH = {"app": 0.65, "web": 0.5, "store": 0.3}
RESPONSE = {"loyal": 0.08, "regular": 0.14, "festive": 0.05, "one_time": 0.04, "churner": 0.12,
            "growing": 0.12, "shrinking": 0.16}
DECLINE_FACTOR = 1.8
LAPSED_FACTOR = 0.35
LAPSED_DAYS = 180
SLEEPING_DOG = {"loyal": 0.08}
SLEEPING_DOG_DEFAULT = 0.03
SECOND_ORDER = 0.2
DISCOUNT = 0.9
MAX_RESPONSE = 0.9
TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
LOST_CAUSE_BELOW = 0.02


@dataclass(frozen=True)
class CampaignEffect:
    """How strong the treatment is: `scale` multiplies every response and sleeping-dog chance
    (0 = a campaign with no effect at all); `backfire` is the chance a reached sleeping dog stops."""

    scale: float = 1.0
    backfire: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.scale <= 5:
            raise ValueError(f"effect scale must be between 0 and 5, got {self.scale}")
        if not 0 <= self.backfire <= 1:
            raise ValueError(f"backfire must be a probability, got {self.backfire}")


@dataclass(frozen=True)
class CampaignRun:
    """The transactions with the campaign applied and, per member, the truth of its effect."""

    transactions: pd.DataFrame
    truth: pd.DataFrame

    @property
    def true_lift(self) -> float:
        """The campaign's true conversion lift over its whole audience (proportion points)."""
        return float(self.truth["true_uplift"].mean())


def window_outcomes(transactions: pd.DataFrame, customers: pd.Series, start: pd.Timestamp,
                    window_days: int) -> pd.DataFrame:
    """Per customer: converted (any purchase), orders and net revenue in [start, start + window)."""
    end = start + pd.Timedelta(days=window_days)
    rows = transactions[(transactions["timestamp"] >= start) & (transactions["timestamp"] < end)
                        & transactions["customer_id"].isin(set(customers))]
    purchases = rows[rows["amount"] > 0]
    frame = pd.DataFrame({"customer_id": customers.astype(str).to_numpy()}).set_index("customer_id")
    frame["orders"] = purchases.groupby("customer_id")["order_id"].nunique()
    frame["revenue"] = rows.groupby("customer_id")["amount"].sum()
    frame = frame.fillna(0.0)
    frame["converted"] = (frame["orders"] > 0).astype(float)
    return frame.reset_index()[["customer_id", "converted", "orders", "revenue"]]


def potential_outcomes(transactions: pd.DataFrame, truth: pd.DataFrame, customers: pd.Series,
                       start: str | pd.Timestamp, window_days: int, effect: CampaignEffect = CampaignEffect(),
                       seed: int = 0) -> pd.DataFrame:
    """Per customer: the window outcome without the campaign (y0, orders0, revenue0), the latent
    traits (reach, response, sleeping dog), the response type and the true uplift in conversion,
    orders and revenue. The traits depend on the seed, not on who ends up treated."""
    start = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tz is None else pd.Timestamp(start)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    base = window_outcomes(transactions, customers, start, window_days)
    known = truth.assign(customer_id=truth["customer_id"].astype(str)).set_index("customer_id")
    missing = sorted(set(base["customer_id"]) - set(known.index))
    if missing:
        raise ValueError(f"{len(missing)} campaign members are not in the simulation's truth (e.g. {missing[0]})")
    t = known.loc[base["customer_id"]]
    n = len(base)
    churned = t["churn_date"].notna().to_numpy() & (t["churn_date"] < start).to_numpy()
    lapsed_days = np.where(churned, (start - t["churn_date"]).dt.days.fillna(0).to_numpy(), 0)
    declining = (t["decline_date"].notna() & (t["decline_date"] <= start)).to_numpy() & ~churned

    reach = np.clip(t["preferred_channel"].map(REACH).fillna(0.4).to_numpy() * rng.beta(5, 5, n) * 2, 0, 1)
    sensitivity = rng.gamma(2.0, 0.5, n)
    response = t["behaviour"].map(RESPONSE).fillna(0.1).to_numpy() * sensitivity
    response = response * np.where(declining, DECLINE_FACTOR, 1.0)
    response = response * np.where(churned, np.where(lapsed_days <= LAPSED_DAYS, LAPSED_FACTOR, 0.0), 1.0)
    response = np.minimum(response * effect.scale, MAX_RESPONSE)
    dog_chance = t["behaviour"].map(SLEEPING_DOG).fillna(SLEEPING_DOG_DEFAULT).to_numpy() * effect.scale
    dog = (rng.random(n) < np.minimum(dog_chance, 1.0)) & ~churned
    basket = t["mean_basket_value"].to_numpy() * DISCOUNT

    y0, orders0, revenue0 = (base[c].to_numpy() for c in ("converted", "orders", "revenue"))
    gain = reach * np.where(dog, 0.0, response)
    loss = reach * np.where(dog, effect.backfire, 0.0)
    frame = base.rename(columns={"converted": "y0", "orders": "orders0", "revenue": "revenue0"})
    frame["reach"], frame["response"], frame["sleeping_dog"] = reach, response, dog
    frame["basket_value"] = basket
    frame["response_type"] = np.select(
        [dog, y0 > 0, gain < LOST_CAUSE_BELOW], ["sleeping_dog", "sure_thing", "lost_cause"], "persuadable")
    frame["true_uplift"] = (1 - y0) * gain - y0 * loss
    frame["true_uplift_orders"] = gain * (1 + SECOND_ORDER) - loss * orders0
    frame["true_uplift_revenue"] = gain * (1 + SECOND_ORDER) * basket - loss * revenue0
    return frame


def draw_treated(potentials: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One draw of what the treatment does to each customer in `potentials` if treated:
    reached, responded (extra orders), stopped (sleeping dog who backfired)."""
    n = len(potentials)
    reached = rng.random(n) < potentials["reach"].to_numpy()
    dog = potentials["sleeping_dog"].to_numpy()
    responded = reached & ~dog & (rng.random(n) < potentials["response"].to_numpy())
    extra = np.where(responded, 1 + (rng.random(n) < SECOND_ORDER), 0)
    backfire = potentials.attrs.get("backfire", CampaignEffect().backfire)
    stopped = reached & dog & (rng.random(n) < backfire)
    return pd.DataFrame({"customer_id": potentials["customer_id"].to_numpy(), "reached": reached,
                         "extra_orders": extra, "stopped": stopped})


def treated_outcomes(potentials: pd.DataFrame, draw: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Window outcomes under treatment from one draw, without building transactions: for the
    repetition studies. Extra orders are worth the discounted basket times a lognormal factor."""
    values = potentials["basket_value"].to_numpy() * rng.lognormal(-0.125, 0.5, len(potentials))
    stopped = draw["stopped"].to_numpy()
    extra = draw["extra_orders"].to_numpy()
    orders = np.where(stopped, 0, potentials["orders0"].to_numpy()) + extra
    revenue = np.where(stopped, 0.0, potentials["revenue0"].to_numpy()) + extra * values
    return pd.DataFrame({"customer_id": potentials["customer_id"].to_numpy(), "converted": (orders > 0) * 1.0,
                         "orders": orders * 1.0, "revenue": revenue})


def run_campaign(transactions: pd.DataFrame, truth: pd.DataFrame, members: pd.DataFrame,
                 start: str | pd.Timestamp, window_days: int, effect: CampaignEffect = CampaignEffect(),
                 seed: int = 0) -> CampaignRun:
    """Apply the campaign to the treated members of `members` (customer_id, group) and return the
    new transactions plus each member's truth (group, traits, response type, true uplift)."""
    start = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tz is None else pd.Timestamp(start)
    potentials = potential_outcomes(transactions, truth, members["customer_id"], start, window_days, effect, seed)
    potentials.attrs["backfire"] = effect.backfire
    groups = members.assign(customer_id=members["customer_id"].astype(str)).set_index("customer_id")["group"]
    potentials["group"] = potentials["customer_id"].map(groups).to_numpy()
    treated = potentials["group"].to_numpy() == "treated"
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(8,)))
    draw = draw_treated(potentials, rng)
    draw.loc[~treated, ["reached", "stopped"]] = False
    draw.loc[~treated, "extra_orders"] = 0

    tx = transactions
    stopped = set(draw.loc[draw["stopped"], "customer_id"])
    keep = ~(tx["customer_id"].astype(str).isin(stopped) & (tx["timestamp"] >= start))
    extra = _extra_orders(tx, potentials, draw, start, window_days, rng)
    new = to_canonical_frame(pd.concat([tx[keep], extra], ignore_index=True))
    new = new.sort_values(["customer_id", "timestamp"], kind="stable", ignore_index=True)
    truth_out = potentials.merge(draw, on="customer_id")
    return CampaignRun(new, truth_out)


def _extra_orders(tx: pd.DataFrame, potentials: pd.DataFrame, draw: pd.DataFrame, start: pd.Timestamp,
                  window_days: int, rng: np.random.Generator) -> pd.DataFrame:
    """One line per extra order: a product the customer bought before, at the discounted basket
    value times a lognormal factor, on a random day and hour of the window."""
    count = draw.set_index("customer_id")["extra_orders"]
    buyers = count[count > 0]
    if buyers.empty:
        return tx.iloc[:0]
    customer = np.repeat(buyers.index.to_numpy(), buyers.to_numpy())
    past = tx[(tx["amount"] > 0) & (tx["timestamp"] < start) & tx["customer_id"].astype(str).isin(set(customer))]
    past = past.assign(customer_id=past["customer_id"].astype(str))
    pick = past.groupby("customer_id").sample(n=1, random_state=int(rng.integers(2**31))).set_index("customer_id")
    rows = pick.reindex(customer).reset_index()
    basket = potentials.set_index("customer_id")["basket_value"].reindex(customer).to_numpy()
    seconds = rng.integers(0, window_days * 86_400, customer.size)
    rows["timestamp"] = start + pd.to_timedelta(seconds, unit="s")
    rows["amount"] = np.round(basket * rng.lognormal(-0.125, 0.5, customer.size), 2)
    rows["quantity"] = 1.0
    rows["order_id"] = [f"K{i:09d}" for i in range(1, customer.size + 1)]
    rows["source"] = "synth-campaign"
    return rows


def observed_outcomes(potentials: pd.DataFrame, treated: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """What a report sees for one assignment: the treatment draw for treated customers, the
    outcome without the campaign for the others (customer_id, group, converted, orders, revenue)."""
    treated = np.asarray(treated, bool)
    under = treated_outcomes(potentials, draw_treated(potentials, rng), rng)
    frame = pd.DataFrame({"customer_id": potentials["customer_id"].to_numpy(),
                          "group": np.where(treated, "treated", "control")})
    for column, base in (("converted", "y0"), ("orders", "orders0"), ("revenue", "revenue0")):
        frame[column] = np.where(treated, under[column].to_numpy(), potentials[base].to_numpy())
    return frame
