"""The parameters of the simulated world: behaviour profiles, channel effects and the decline
that precedes churn.

Every number that shapes the data lives here, so the signals a model can learn are listed in one
place: app users buy more often; replenishment categories (grocery, household) mean frequent
small baskets; stock-up shoppers (many lines per order) buy less often; spending trends persist;
festive buyers buy in November-December with big baskets; a return raises the churn hazard for
weeks; a shrinking trend raises it steadily; and churn is mostly preceded by a decline (fewer,
smaller orders, a switch to store-only buying, a narrowing to one category).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

CHANNELS: tuple[str, ...] = ("web", "app", "store")
CHANNEL_RATE = (1.0, 1.5, 0.85)
CHANNEL_VALUE = (1.0, 0.9, 1.1)
CHANNEL_RETURNS = (1.5, 1.0, 0.6)
CHANNEL_HAZARD = (1.0, 0.5, 1.5)
STORE = CHANNELS.index("store")

REGIONS: tuple[str, ...] = ("north", "south", "east", "west", "central")
REGION_WEIGHTS = (0.24, 0.22, 0.20, 0.18, 0.16)


@dataclass(frozen=True)
class Profile:
    """How one behaviour buys, before per-customer heterogeneity.

    `rate_mean` is orders a year at acquisition (orders per November-December season when
    `seasonal`), drawn per customer from a gamma law with `rate_shape`; `extra_lines` is the
    mean number of lines per order beyond the first; `hazard` is the weekly chance of starting
    the decline that ends in churn; `trend` bounds the yearly log-growth of rate and spend;
    `channel_weights` (web, app, store) pick the preferred channel; `category_alpha` is the
    Dirichlet prior over the catalogue's categories, which with `extra_lines` sets the basket
    value.
    """

    rate_mean: float
    rate_shape: float
    extra_lines: float
    hazard: float
    trend: tuple[float, float]
    channel_weights: tuple[float, float, float]
    category_alpha: tuple[float, ...]
    returns: float
    seasonal: bool = False
    off_season_rate: float = 0.0
    single_purchase: bool = False
    scheduled_churn: bool = False


PROFILES: MappingProxyType[str, Profile] = MappingProxyType({
    "loyal": Profile(
        rate_mean=12.0, rate_shape=3.0, extra_lines=0.9,
        hazard=0.0008, trend=(-0.2, 0.25), channel_weights=(0.30, 0.50, 0.20),
        category_alpha=(1.4, 0.8, 0.5, 0.3, 0.1, 0.2, 0.2, 0.1), returns=0.8,
    ),
    "regular": Profile(
        rate_mean=3.5, rate_shape=1.5, extra_lines=0.9,
        hazard=0.005, trend=(-0.3, 0.3), channel_weights=(0.40, 0.25, 0.35),
        category_alpha=(0.8, 0.5, 0.4, 0.45, 0.2, 0.35, 0.3, 0.2), returns=1.0,
    ),
    "festive": Profile(
        rate_mean=1.4, rate_shape=4.0, extra_lines=3.2,
        hazard=0.002, trend=(0.0, 0.0), channel_weights=(0.40, 0.10, 0.50),
        category_alpha=(0.05, 0.1, 0.35, 0.6, 1.0, 0.45, 0.3, 0.8), returns=1.3,
        seasonal=True, off_season_rate=0.15,
    ),
    "one_time": Profile(
        rate_mean=0.0, rate_shape=1.0, extra_lines=0.8,
        hazard=0.0, trend=(0.0, 0.0), channel_weights=(0.50, 0.15, 0.35),
        category_alpha=(0.6, 0.4, 0.4, 0.6, 0.3, 0.4, 0.3, 0.3), returns=1.2,
        single_purchase=True,
    ),
    "churner": Profile(
        rate_mean=6.0, rate_shape=2.0, extra_lines=1.0,
        hazard=0.0, trend=(-0.2, 0.2), channel_weights=(0.35, 0.30, 0.35),
        category_alpha=(0.9, 0.6, 0.4, 0.4, 0.2, 0.3, 0.3, 0.2), returns=1.2,
        scheduled_churn=True,
    ),
    "growing": Profile(
        rate_mean=3.0, rate_shape=2.0, extra_lines=0.9,
        hazard=0.0015, trend=(0.35, 0.8), channel_weights=(0.35, 0.45, 0.20),
        category_alpha=(0.7, 0.5, 0.5, 0.5, 0.2, 0.4, 0.4, 0.3), returns=0.9,
    ),
    "shrinking": Profile(
        rate_mean=7.0, rate_shape=2.0, extra_lines=1.0,
        hazard=0.003, trend=(-0.8, -0.35), channel_weights=(0.35, 0.25, 0.40),
        category_alpha=(0.9, 0.6, 0.4, 0.4, 0.2, 0.3, 0.3, 0.2), returns=1.1,
    ),
})
BEHAVIOURS: tuple[str, ...] = tuple(PROFILES)

DEFAULT_MIX: MappingProxyType[str, float] = MappingProxyType({
    "loyal": 0.12, "regular": 0.30, "festive": 0.10, "one_time": 0.22,
    "churner": 0.10, "growing": 0.08, "shrinking": 0.08,
})


@dataclass(frozen=True)
class Decline:
    """The weeks before churn: what changes, and how often each change happens.

    A share of churn is sudden (no decline). Otherwise the decline lasts a gamma-distributed
    number of days, during which the purchase rate falls, a share of customers switch to
    buying only in store, narrow to their favourite category, or cut their basket value
    sharply, and returns become more likely.
    """

    sudden_share: float = 0.1
    mean_days: float = 150.0
    days_shape: float = 3.0
    rate_factor: tuple[float, float] = (0.6, 1.0)
    store_switch_share: float = 0.8
    narrowing_share: float = 0.8
    value_drop_share: float = 0.8
    value_drop: tuple[float, float] = (0.3, 0.6)
    return_factor: float = 3.0
    scheduled_days: tuple[float, float] = (60.0, 1000.0)


@dataclass(frozen=True)
class Hazard:
    """What moves the weekly churn hazard: a recent return and a shrinking trend raise it;
    app users and broad shoppers (many categories) are stickier than store-only and
    single-category ones."""

    return_factor: float = 5.0
    return_weeks: int = 12
    shrink_elasticity: float = 1.5
    frailty_shape: float = 2.0
    breadth_elasticity: float = 1.0
    reference_breadth: float = 2.5


DECLINE = Decline()
HAZARD = Hazard()
