"""MLflow without the noise the project's own calls cause: no artifact progress bars, no INFO lines
about creating its tables, no advice the project does not take (an input example when a signature
is given; integer columns that may go missing, which counts and ids never do; a model file instead
of the pickled bundle it ships on purpose). Other warnings and errors from MLflow still show."""

from __future__ import annotations

import logging
import os
import warnings

ADVICE_NOT_TAKEN = (
    r"(?s).*Inferred schema contains integer column",
    r"(?s).*An input example was not provided",
)


def quiet_mlflow() -> None:
    """Set once per process, before MLflow is used; MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR set by the
    user wins."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in ADVICE_NOT_TAKEN:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    pyfunc = logging.getLogger("mlflow.pyfunc")
    if not any(isinstance(f, _PickledModelAdvice) for f in pyfunc.filters):
        pyfunc.addFilter(_PickledModelAdvice())


class _PickledModelAdvice(logging.Filter):
    """Drops MLflow's advice against a Python object as `python_model` (the bundle is pickled on purpose)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Passing a Python object as `python_model`")
