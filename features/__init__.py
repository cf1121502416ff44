"""Data layer of customer-insight: the transaction contract, ingestion, identity resolution and
point-in-time customer features. Knows nothing of models or serving."""
