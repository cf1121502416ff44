"""One INFO line per refused request body instead of BentoML's ERROR traceback.

BentoML answers a request that fails validation with 400 and logs the pydantic ValidationError
at ERROR with its whole traceback (about 2 KB per bad request, and an alert in any log watcher).
A 400 is the client's mistake, not the service's: this filter rewrites that record, in place, to
one INFO line with the method, path and the names of the fields in error (never their values).
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"


def field_names(error: ValidationError) -> list[str]:
    """The dotted location of every field error, `(body)` for errors of the whole request."""
    return list(dict.fromkeys(".".join(str(p) for p in e["loc"]) or "(body)" for e in error.errors()))


class RefusalsAtInfo(logging.Filter):
    """Turns BentoML's "Exception on <path>" records of a ValidationError into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ValidationError):
            path, method = record.args if isinstance(record.args, tuple) and len(record.args) == 2 else ("?", "?")
            record.msg = "refused %s %s with 400: invalid %s"
            record.args = (method, path, ", ".join(field_names(error)))
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def log_refusals_at_info() -> None:
    """Install the filter on BentoML's HTTP logger once per process."""
    logger = logging.getLogger(BENTOML_HTTP_LOGGER)
    if not any(isinstance(f, RefusalsAtInfo) for f in logger.filters):
        logger.addFilter(RefusalsAtInfo())
