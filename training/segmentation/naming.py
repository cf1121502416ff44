"""Human-readable segment names derived from each segment's profile, by a readable rule table.

A name is up to two adjectives and one noun, e.g. 'loyal high spenders', 'festive big baskets',
'lapsing one-time buyers'. Traits read the segment centroid in scaled space (standard deviations
from the average customer); 'one-time buyers' reads the segment's median number of orders. Rules
whose feature the model was not trained on are skipped. Names are made unique within a model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.segmentation.columns import FESTIVE_SHARE, FREQUENCY, MONETARY, ORDER_VALUE, RECENCY, TENURE


@dataclass(frozen=True)
class Condition:
    """The centroid lies at least `threshold` sd from average in `direction` (+1 above, -1 below)."""

    feature: str
    direction: int
    threshold: float

    def deviation(self, centroid: pd.Series) -> float:
        """Distance in this direction, in sd; NaN when the model has no such feature."""
        return self.direction * float(centroid.get(self.feature, np.nan))

    def holds(self, centroid: pd.Series) -> bool:
        return self.deviation(centroid) >= self.threshold


def above(feature: str, sd: float) -> Condition:
    return Condition(feature, 1, sd)


def below(feature: str, sd: float) -> Condition:
    return Condition(feature, -1, sd)


@dataclass(frozen=True)
class Trait:
    """`word` applies when every condition holds; its strength is the first condition's deviation."""

    word: str
    conditions: tuple[Condition, ...]

    def applies(self, centroid: pd.Series) -> bool:
        return all(condition.holds(centroid) for condition in self.conditions)

    def strength(self, centroid: pd.Series) -> float:
        return self.conditions[0].deviation(centroid)


ADJECTIVES: tuple[Trait, ...] = (
    Trait("lapsing", (above(RECENCY, 0.75),)),
    Trait("loyal", (above(FREQUENCY, 0.75),)),
    Trait("festive", (above(FESTIVE_SHARE, 0.75),)),
    Trait("new", (below(TENURE, 0.75), below(RECENCY, 0.0))),
)
NOUNS: tuple[Trait, ...] = (
    Trait("high spenders", (above(MONETARY, 0.75),)),
    Trait("big baskets", (above(ORDER_VALUE, 0.75),)),
    Trait("low spenders", (below(MONETARY, 0.75),)),
)
ONE_TIME_NOUN = "one-time buyers"
"""Used when the segment's median customer has a single purchase order; it takes precedence."""
DEFAULT_NOUN = "customers"
PLAIN_NAME = "average customers"
MAX_ADJECTIVES = 2


def segment_name(centroid: pd.Series, median_frequency: float) -> str:
    """The name of one segment from its centroid (sd from average) and median order count."""
    adjectives = _strongest_first([t for t in ADJECTIVES if t.applies(centroid)], centroid)
    words = [t.word for t in adjectives[:MAX_ADJECTIVES]]
    if median_frequency <= 1:
        noun = ONE_TIME_NOUN
    else:
        nouns = _strongest_first([t for t in NOUNS if t.applies(centroid)], centroid)
        noun = nouns[0].word if nouns else DEFAULT_NOUN
    if not words and noun == DEFAULT_NOUN:
        return PLAIN_NAME
    return " ".join([*words, noun])


def name_segments(centroids: pd.DataFrame, median_frequency: pd.Series) -> dict[int, str]:
    """Segment id -> unique name; segments that would share a name get a qualifier.

    The qualifier is the feature on which the segment differs most from the mean of the
    segments sharing its name, e.g. 'average customers (higher return_rate)'; if even those
    coincide, the segment id is appended.
    """
    names = {
        int(i): segment_name(centroids.loc[i], float(median_frequency.get(i, np.nan)))
        for i in centroids.index
    }
    return _disambiguate(names, centroids)


def _strongest_first(traits: list[Trait], centroid: pd.Series) -> list[Trait]:
    return sorted(traits, key=lambda t: -t.strength(centroid))


def _disambiguate(names: dict[int, str], centroids: pd.DataFrame) -> dict[int, str]:
    groups: dict[str, list[int]] = defaultdict(list)
    for segment, name in names.items():
        groups[name].append(segment)
    unique = dict(names)
    for name, members in groups.items():
        if len(members) < 2:
            continue
        relative = centroids.loc[members] - centroids.loc[members].mean()
        for segment in members:
            row = relative.loc[segment]
            feature = row.abs().idxmax()
            unique[segment] = f"{name} ({'higher' if row[feature] > 0 else 'lower'} {feature})"
    counts = pd.Series(unique).value_counts()
    return {
        segment: f"{name} (segment {segment})" if counts[name] > 1 else name
        for segment, name in unique.items()
    }
