"""Closed-loop HTTP clients for the serving benchmarks (bench/serving.py, bench/reload_load.py).

Each client sends a request, waits for the answer, checks it and sends the next, so the offered
load follows the service's speed; every answer that is not a correct 200 counts as a failure.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import aiohttp

VERSION_OF = "customer-churn"


def answered(status: int, body: bytes, expected: int) -> dict | None:
    """The parsed answer if it is correct: HTTP 200 and one `ok` entry per requested (known) customer."""
    if status != 200:
        return None
    answer = json.loads(body)
    customers = answer.get("customers", [])
    if len(customers) == expected and all(c["status"] == "ok" for c in customers):
        return answer
    return None


async def client_loop(session: aiohttp.ClientSession, url: str, bodies: list[tuple[bytes, int]], offset: int,
                      until: float, latencies: list[float], errors: list[int],
                      versions: Counter | None = None, reasons: Counter | None = None) -> None:
    """One closed-loop client: send, wait for the answer, check it, repeat until `until`; counts the
    version of VERSION_OF each correct answer came from in `versions`, and each failure by its
    reason (the exception's name, or the status and the start of the body) in `reasons`, if given."""
    i = offset
    while time.perf_counter() < until:
        body, expected = bodies[i % len(bodies)]
        i += 1
        began = time.perf_counter()
        try:
            async with session.post(url, data=body) as response:
                payload = await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            errors[0] += 1
            if reasons is not None:
                reasons[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - began
        answer = answered(status, payload, expected)
        if answer is None:
            errors[0] += 1
            if reasons is not None:
                reasons[f"HTTP {status}: {payload[:120].decode('utf-8', 'replace')}"] += 1
            continue
        latencies.append(elapsed * 1000)
        if versions is not None:
            versions[answer["model_versions"].get(VERSION_OF, "")] += 1
