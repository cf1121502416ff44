"""Model layer: segmentation, churn, next-purchase and lifetime-value models, their baselines,
tuning and MLflow tracking. Depends on `features`, never on `serving`."""

import os

# OpenMP (LightGBM's threads) sleeps instead of spinning while it waits: spinning threads on cores
# shared with other processes made training several times slower under load (bench/README.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
