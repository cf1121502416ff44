"""Model layer: segmentation, churn, next-purchase and lifetime-value models, their baselines,
tuning and MLflow tracking. Depends on `features`, never on `serving`."""
