"""Run `insight score` with the given arguments and SIGKILL this process once it logs its metrics to
MLflow, i.e. with its batch-scoring run open. Run by test_run_recovery.py."""

from __future__ import annotations

import os
import signal

import mlflow

from serving.cli import app


def die(*_args, **_kwargs) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    mlflow.log_metrics = die
    app(prog_name="insight")
