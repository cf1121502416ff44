"""The simulated shop's catalogue: categories, products, list prices, popularity, and how one
order line is priced (product by popularity, quantity by category, occasional promotion)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES: tuple[str, ...] = (
    "grocery", "household", "beauty", "apparel", "toys", "home", "sports", "electronics",
)
PRICE_LEVELS = np.array([4.0, 9.0, 16.0, 32.0, 24.0, 38.0, 42.0, 110.0])
EXTRA_QUANTITY = np.array([1.5, 0.8, 0.5, 0.3, 0.3, 0.2, 0.2, 0.05])
REPLENISHMENT = np.array([1.0, 1.0, 0.4, 0.0, 0.0, 0.0, 0.0, 0.0])
PRODUCTS_PER_CATEGORY = 250
ZIPF_EXPONENT = 1.05
PRICE_SPREAD = 0.45
PROMOTION_SHARE = 0.15
PROMOTION_DISCOUNT = (0.1, 0.4)


@dataclass(frozen=True)
class Catalogue:
    """Products numbered category-major (product = category * PRODUCTS_PER_CATEGORY + item).

    `by_popularity[k, r]` is the item of rank r in category k and `popularity_cdf` the shared
    Zipf law over ranks, so a few products per category sell most of the volume.
    `line_value[k]` is the expected value of one line of category k.
    """

    product_ids: np.ndarray
    list_prices: np.ndarray
    by_popularity: np.ndarray
    popularity_cdf: np.ndarray
    line_value: np.ndarray


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    """Draw list prices (lognormal around each category's level, ending in .99) and popularity."""
    n_cat = len(CATEGORIES)
    levels = np.repeat(PRICE_LEVELS, PRODUCTS_PER_CATEGORY)
    raw = levels * rng.lognormal(-PRICE_SPREAD**2 / 2, PRICE_SPREAD, levels.size)
    prices = np.maximum(np.round(raw) - 0.01, 0.49)
    items = np.arange(PRODUCTS_PER_CATEGORY)
    ids = np.array([f"{name[:3].upper()}-{item:04d}" for name in CATEGORIES for item in items + 1])
    by_popularity = np.stack([rng.permutation(PRODUCTS_PER_CATEGORY) for _ in range(n_cat)])
    weights = 1.0 / (items + 1.0) ** ZIPF_EXPONENT
    weights /= weights.sum()
    cdf = np.cumsum(weights)
    cdf[-1] = 1.0
    ranked_prices = prices.reshape(n_cat, PRODUCTS_PER_CATEGORY)[np.arange(n_cat)[:, None], by_popularity]
    mean_discount = PROMOTION_SHARE * np.mean(PROMOTION_DISCOUNT)
    line_value = ranked_prices @ weights * (1.0 + EXTRA_QUANTITY) * (1.0 - mean_discount)
    return Catalogue(ids, prices, by_popularity, cdf, line_value)


def price_lines(
    catalogue: Catalogue, category: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Product (by popularity), quantity (1 + Poisson, more for everyday categories) and amount
    (quantity x list price, discounted on promoted lines) of lines of the given categories."""
    rank = np.searchsorted(catalogue.popularity_cdf, rng.random(category.size), side="right")
    rank = np.minimum(rank, PRODUCTS_PER_CATEGORY - 1)
    product = category * PRODUCTS_PER_CATEGORY + catalogue.by_popularity[category, rank]
    quantity = 1.0 + rng.poisson(EXTRA_QUANTITY[category])
    promoted = rng.random(category.size) < PROMOTION_SHARE
    discount = np.where(promoted, rng.uniform(*PROMOTION_DISCOUNT, category.size), 0.0)
    amount = np.round(quantity * catalogue.list_prices[product] * (1.0 - discount), 2)
    return product, quantity, amount
