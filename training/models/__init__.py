"""Supervised customer models: churn, next purchase and lifetime value, boosted from baselines."""
