"""Classic "buy 'til you die" customer-base models as plain estimators.

BG/NBD and Pareto/NBD model repeat purchasing from per-customer (frequency, recency, T); the
Gamma-Gamma model gives expected spend per transaction. Inputs are arrays in a time unit the
caller picks (days or weeks); summaries are built by the feature layer, not here.
"""

from training.btyd.bgnbd import BetaGeoModel, BetaGeoParams
from training.btyd.gamma_gamma import GammaGammaModel, GammaGammaParams
from training.btyd.pareto_nbd import ParetoNBDModel, ParetoNBDParams
from training.btyd.simulate import simulate_bgnbd, simulate_pareto_nbd

__all__ = [
    "BetaGeoModel",
    "BetaGeoParams",
    "GammaGammaModel",
    "GammaGammaParams",
    "ParetoNBDModel",
    "ParetoNBDParams",
    "simulate_bgnbd",
    "simulate_pareto_nbd",
]
