"""Delivery layer: the `insight` CLI, batch scoring, audiences and the BentoML service."""

import training  # noqa: F401,E402  (sets the OpenMP wait policy before any model library is loaded)
