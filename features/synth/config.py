"""What to simulate: size, period, seed and behaviour mix, validated once on construction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

import pandas as pd

from features.synth.profiles import BEHAVIOURS, DEFAULT_MIX

FESTIVE_MONTHS = (11, 12)


@dataclass(frozen=True)
class SimulationConfig:
    """A reproducible simulated retail base: same config, same data, bit for bit.

    `start` and `end` are calendar days (ISO strings or dates), both included; customers are
    acquired continuously between them. `behaviour_mix` maps behaviours (see
    `features.synth.BEHAVIOURS`) to shares summing to 1; behaviours left out get share 0.
    `return_rate` is the base share of orders with a returned line. `events` also simulates
    engagement events (features/synth/events.py) on a stream of their own: the transactions are
    the same either way.
    """

    n_customers: int = 10_000
    start: date | str = "2021-01-01"
    end: date | str = "2023-12-31"
    seed: int = 0
    behaviour_mix: Mapping[str, float] = field(default_factory=lambda: DEFAULT_MIX, hash=False)
    return_rate: float = 0.04
    events: bool = False

    def __post_init__(self) -> None:
        _require_int("n_customers", self.n_customers, minimum=1)
        _require_int("seed", self.seed, minimum=0)
        start, end = _as_date("start", self.start), _as_date("end", self.end)
        if end <= start:
            raise ValueError(f"end ({end}) must be after start ({start}); give an end date later than start")
        mix = _as_mix(self.behaviour_mix)
        if mix["festive"] > 0 and not _has_festive_season(start, end):
            raise ValueError(
                f"festive buyers need a November or December between {start} and {end}; "
                "extend the period or set behaviour_mix['festive'] to 0"
            )
        if not (isinstance(self.return_rate, (int, float)) and 0.0 <= self.return_rate <= 0.3):
            raise ValueError(f"return_rate must be a number between 0 and 0.3, got {self.return_rate!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "behaviour_mix", mix)
        object.__setattr__(self, "return_rate", float(self.return_rate))
        if not isinstance(self.events, bool):
            raise ValueError(f"events must be True or False, got {self.events!r}")

    @property
    def n_days(self) -> int:
        """Days in the simulated period, both ends included."""
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, stored with the outputs so a data set names how it was made."""
        return {
            "n_customers": self.n_customers,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seed": self.seed,
            "behaviour_mix": dict(self.behaviour_mix),
            "return_rate": self.return_rate,
            "events": self.events,
        }


def _require_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _as_date(name: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date like '2021-01-01', got {value!r}") from exc


def _as_mix(mix: Mapping[str, float]) -> MappingProxyType[str, float]:
    if not isinstance(mix, Mapping):
        raise ValueError(f"behaviour_mix must map behaviour names to shares, got {mix!r}")
    unknown = sorted(set(mix) - set(BEHAVIOURS))
    if unknown:
        raise ValueError(f"unknown behaviour {unknown[0]!r} in behaviour_mix; known: {', '.join(BEHAVIOURS)}")
    shares = {name: mix.get(name, 0.0) for name in BEHAVIOURS}
    for name, share in shares.items():
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share) or share < 0:
            raise ValueError(f"behaviour_mix['{name}'] must be a share >= 0, got {share!r}")
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(f"behaviour_mix shares must sum to 1, they sum to {total:g}")
    return MappingProxyType({name: float(share) for name, share in shares.items()})


def _has_festive_season(start: date, end: date) -> bool:
    months = pd.period_range(start, end, freq="M").month
    return bool(set(months) & set(FESTIVE_MONTHS))
