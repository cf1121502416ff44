"""Benchmark: the scoring API against its own OpenAPI document, schemathesis with every check.

    nice -n 10 .venv/bin/python bench/api_contract.py --workdir /tmp/bench-serving    # 200 examples per operation
    nice -n 10 .venv/bin/python bench/api_contract.py --examples 20                     # smoke run

Starts `insight serve` over the workspace of bench/serving.py (`serving_workspace`; `--workdir`
shares one training) with the default limits, and runs `st run` on its /docs.json with the
repository's schemathesis.toml: every check (no 5xx, status codes, content types, headers and
bodies as documented, schema-valid requests accepted, schema-violating ones refused, undeclared
methods answered 405, auth not ignored...), the coverage and fuzzing phases, `--examples` per
operation. Prints, from schemathesis' reports, per operation and phase the test cases (schema-
valid / schema-violating), the answers by status code and the checks run and failed, then every
failure; zero failures is the target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, not bench/features.py

from serving.local_service import free_port, launch, stop, wait_ready  # noqa: E402
from serving_workspace import API_KEY, build_workspace, service_env, workspace_env  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[1]
CONFIG = REPOSITORY / "schemathesis.toml"


def schemathesis_command(url: str, examples: int, seed: int, reports: Path) -> list[str]:
    """`st run` on the service's document with the repository's settings and every check."""
    st = Path(sys.executable).with_name("st")
    return [str(st), "--config-file", str(CONFIG), "--no-color", "run", f"{url}/docs.json",
            "--header", f"Authorization: Bearer {API_KEY}", "--checks", "all", "--phases", "coverage,fuzzing",
            "--max-examples", str(examples), "--seed", str(seed), "--workers", "1", "--continue-on-failure",
            "--request-timeout", "60", "--report", "json,ndjson", "--report-dir", str(reports)]


def tally(events: Path) -> dict[tuple[str, str], dict[str, Counter]]:
    """(operation, phase) -> counters of test cases by generation mode, answers by status code and
    checks run and failed, from the NDJSON event stream of `st run`."""
    rows: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for line in events.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder, row = finished["recorder"], rows[(finished["recorder"]["label"], finished["phase"])]
        for case in recorder["cases"].values():
            row["cases"][case["value"]["meta"]["generation"]["mode"]] += 1
        for interaction in recorder["interactions"].values():
            response = interaction.get("response") or {}
            row["answers"][str(response.get("status_code", "no answer"))] += 1
        for checks in recorder["checks"].values():
            for check in checks:
                row["checks"]["run"] += 1
                row["checks"]["failed"] += check["status"] == "failure"
    return rows


def print_report(document: dict, rows: dict[tuple[str, str], dict[str, Counter]], examples: int) -> None:
    cases = document["test_cases"]
    print(f"\nschemathesis {document['schemathesis_version']}, every check, {examples} examples per operation, "
          f"seed {document['seed']}: {cases['generated']:,} test cases in {document['running_time']:.0f} s; "
          f"{os.cpu_count()} cores, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| operation | phase | cases (valid / invalid) | answers by status | checks run | failed |")
    print("|---|---|---:|---|---:|---:|")
    for (label, phase), row in sorted(rows.items()):
        answers = ", ".join(f"{code}: {n:,}" for code, n in sorted(row["answers"].items()))
        print(f"| {label} | {phase} | {row['cases']['positive']:,} / {row['cases']['negative']:,} | {answers} | "
              f"{row['checks']['run']:,} | {row['checks']['failed']} |")
    failures = document["failures"]
    print(f"\n| check failures | errors | exit code |\n|---:|---:|---:|\n"
          f"| {sum(f['count'] for f in failures)} | {sum(e['count'] for e in document['errors'])} | "
          f"{document['exit_code']} |")
    for failure in failures:
        print(f"- {failure['code']} {failure['title']} ({failure['count']}): {', '.join(failure['operations'])}")


def run(root: Path, examples: int, seed: int) -> int:
    """Train (unless reused), serve, run schemathesis, stop; the exit code of `st run`."""
    os.environ.update(workspace_env(root))
    build_workspace(root)
    service = launch(free_port(), root / "service-contract.log", service_env(root), cwd=root)
    reports = root / "schemathesis-report"
    shutil.rmtree(reports, ignore_errors=True)
    try:
        wait_ready(service)
        command = schemathesis_command(service.url, examples, seed, reports)
        print("$", " ".join(command).replace(API_KEY, "<key>"), flush=True)
        finished = subprocess.run(command, cwd=root, check=False)
    finally:
        stop(service)
    document = json.loads(next(reports.glob("*.json")).read_text())
    print_report(document, tally(next(reports.glob("*.ndjson"))), examples)
    return finished.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="Examples per operation (schemathesis -n).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="The trained workspace to reuse (as bench/serving.py --workdir; default: a temp dir).")
    args = parser.parse_args()
    if args.workdir is not None:
        sys.exit(run(args.workdir.resolve(), args.examples, args.seed))
    with tempfile.TemporaryDirectory(prefix="bench-contract-") as tmp:
        sys.exit(run(Path(tmp), args.examples, args.seed))


if __name__ == "__main__":
    main()
