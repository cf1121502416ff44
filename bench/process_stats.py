"""Resource figures of a benchmarked process tree, shared by the benchmark scripts."""

from __future__ import annotations

import psutil


def cpu_seconds(process: psutil.Process, descendants: bool = True) -> float:
    """User plus system CPU time of `process` and, if asked, its live descendants (a Spark JVM)."""
    total = 0.0
    for member in [process, *(process.children(recursive=True) if descendants else [])]:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total
