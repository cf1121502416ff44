"""Delivery layer: the `insight` CLI, batch scoring, audiences and the BentoML service."""
