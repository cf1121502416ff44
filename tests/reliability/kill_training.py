"""Log a pickled training outcome and SIGKILL this process when training reaches a named step.

Run by test_training_kill.py: `python kill_training.py OUTCOME.pkl STEP`. The gate is told to
promote, so a run that got to the end would replace the champion set.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys

import training.tracking as tracking
from training.promotion import SetDecision


def main(outcome_file: str, kill_at: str) -> None:
    with open(outcome_file, "rb") as handle:
        outcome, config, fingerprint = pickle.load(handle)
    tracking.decide = lambda comparisons: SetDecision(True, "promoted: fault test", comparisons)

    def progress(step: str) -> None:
        if step.startswith(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)

    tracking.log_training_run(outcome, config, fingerprint, progress=progress)


if __name__ == "__main__":
    main(*sys.argv[1:3])
