"""A seeded simulator of a retail customer base with known ground truth, for tests, the models'
rich-data check and scale benchmarks.

Customers are drawn from distinct behaviours (see `profiles`), acquired continuously, and buy
through web, app and store in weekly steps; every order has lines with categories, products and
quantities, and some lines come back as returns. `simulate` returns the canonical transaction
table plus a truth table (behaviour, acquisition, churn date, base rate, basket value, channel).
"""

from features.synth.config import SimulationConfig
from features.synth.output import TRUTH_FILE, simulate_to_parquet, write_simulation
from features.synth.profiles import BEHAVIOURS, CHANNELS, DEFAULT_MIX
from features.synth.simulate import Simulation, simulate, simulate_chunks

__all__ = [
    "BEHAVIOURS",
    "CHANNELS",
    "DEFAULT_MIX",
    "TRUTH_FILE",
    "Simulation",
    "SimulationConfig",
    "simulate",
    "simulate_chunks",
    "simulate_to_parquet",
    "write_simulation",
]
