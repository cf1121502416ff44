"""Fault suite for outputs: two runs on one --out, locks and leftovers of killed runs, bad --out paths.

A second run on an output that a live run holds must exit 2 with one line naming the holder and
leave everything as it was; the holder still publishes its own output, whole. A run killed with
kill -9 leaves a stale lock and temporary siblings that the next run takes over and removes.
The concurrent cases pause the first run with SIGSTOP while it holds its output, so the overlap
is certain rather than a matter of timing.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from features.schema import TRANSACTIONS_FILE

SCORED_AT = "2023-12-31"
EARLIER = "2023-11-30"


def insight(*args: str) -> list[str]:
    return [sys.executable, "-m", "serving", *args]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(insight(*args), capture_output=True, text=True, timeout=timeout, env=env)


def refused(result: subprocess.CompletedProcess) -> str:
    """The one-line error of a refused run (exit 2)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def wait_for(condition, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the first run ended before the test could catch it"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def holder_pid(lock: Path) -> int | None:
    try:
        return json.loads(lock.read_text()).get("pid")
    except (OSError, ValueError):
        return None


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def scratch_entries(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


@pytest.fixture()
def score_env(store_copy: Path) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store_copy / 'mlflow.db'}",
            "INSIGHT_SNAPSHOTS": str(store_copy / "snapshots")}


def score_args(store: Path, as_of: str, out: Path, *extra: str) -> list[str]:
    return ["score", "--transactions", str(store / TRANSACTIONS_FILE), "--as-of", as_of, "--out", str(out),
            "--chunk-customers", "100", *extra]


def test_a_second_score_on_one_output_is_refused_and_the_first_publishes_its_cutoff_alone(
        store_copy: Path, score_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    lock = tmp_path / ".s.parquet.lock"
    first = subprocess.Popen(insight(*score_args(store_copy, SCORED_AT, out)), env=score_env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: holder_pid(lock) == first.pid, first)
        first.send_signal(signal.SIGSTOP)
        second = run(*score_args(store_copy, EARLIER, out), env=score_env)
    finally:
        first.send_signal(signal.SIGCONT)
    message = refused(second)
    assert f"{out} is being written by pid {first.pid} on {socket.gethostname()}" in message
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr

    scores = pd.read_parquet(out)
    assert set(pd.to_datetime(scores["as_of"]).dt.date.astype(str)) == {SCORED_AT}
    assert scores["customer_id"].is_unique
    assert scratch_entries(tmp_path, "s.parquet") == []


def test_score_killed_while_holding_its_output_is_taken_over_by_the_next_run(
        store_copy: Path, score_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    parts = tmp_path / ".s.parquet.parts"
    first = subprocess.Popen(insight(*score_args(store_copy, SCORED_AT, out, "--chunk-customers", "20")),
                             env=score_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(list(parts.glob("part-*.parquet"))) >= 2, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert holder_pid(tmp_path / ".s.parquet.lock") == first.pid and not out.exists()

    rerun = run(*score_args(store_copy, EARLIER, out), env=score_env)
    assert rerun.returncode == 0, rerun.stderr
    assert f"taking over the lock left by pid {first.pid}" in rerun.stderr
    scores = pd.read_parquet(out)
    assert set(pd.to_datetime(scores["as_of"]).dt.date.astype(str)) == {EARLIER}
    assert scores["customer_id"].is_unique
    assert scratch_entries(tmp_path, "s.parquet") == []


def write_sales(path: Path, customers: int, rows_each: int = 1) -> None:
    rows = [f"c{c:05d},o{c:05d}-{r},2024-0{1 + r % 9}-15 10:00:00,{10 + r}.50"
            for c in range(customers) for r in range(rows_each)]
    path.write_text("customer_id,order_id,timestamp,amount\n" + "\n".join(rows) + "\n")


def test_a_second_ingest_into_one_output_is_refused_and_the_previous_output_survives(tmp_path: Path) -> None:
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_sales(small, 3)
    write_sales(large, 40_000, 3)
    out = tmp_path / "data"
    assert run("ingest", str(small), "--out", str(out)).returncode == 0
    before = (out / TRANSACTIONS_FILE).read_bytes()

    lock = tmp_path / ".data.lock"
    first = subprocess.Popen(insight("ingest", str(large), "--out", str(out)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: holder_pid(lock) == first.pid, first)
        first.send_signal(signal.SIGSTOP)
        second = run("ingest", str(small), "--out", str(out))
        assert (out / TRANSACTIONS_FILE).read_bytes() == before
    finally:
        first.send_signal(signal.SIGCONT)
    assert f"is being written by pid {first.pid}" in refused(second)
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert pd.read_parquet(out / TRANSACTIONS_FILE)["customer_id"].nunique() == 40_000
    assert scratch_entries(tmp_path, "data") == []


def test_a_second_resolve_on_one_output_is_refused_and_the_first_keeps_the_earlier_ids(tmp_path: Path) -> None:
    from features.identity.simulate import TRUTH_COLUMN, simulate_records

    records = simulate_records(150, seed=5).drop(columns=TRUTH_COLUMN)
    earlier, more = tmp_path / "earlier.csv", tmp_path / "more.csv"
    records.iloc[:200].to_csv(earlier, index=False)
    records.to_csv(more, index=False)
    out = tmp_path / "resolved"
    assert run("resolve", "--records", str(earlier), "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    first = subprocess.Popen(insight("resolve", "--records", str(more), "--out", str(out)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: holder_pid(tmp_path / ".resolved.lock") == first.pid, first)
        first.send_signal(signal.SIGSTOP)
        second = run("resolve", "--records", str(more), "--out", str(out))
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    finally:
        first.send_signal(signal.SIGCONT)
    assert f"{out} is being written by pid {first.pid}" in refused(second)
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    old = pd.read_parquet(io.BytesIO(before["id_map.parquet"]))
    new = pd.read_parquet(out / "id_map.parquet")
    assert len(new) == len(records) and new.merge(old, on=["source", "source_customer_id"]).pipe(
        lambda kept: (kept["customer_id_x"] == kept["customer_id_y"]).mean()) > 0.95
    assert scratch_entries(tmp_path, "resolved") == []


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    write_sales(tmp_path / "sales.csv", 5)
    pid = dead_pid()
    lock = tmp_path / ".data.lock"
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": "2026-01-01T00:00:00+00:00"}))
    result = run("ingest", str(tmp_path / "sales.csv"), "--out", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert f"taking over the lock left by pid {pid} on {socket.gethostname()}" in result.stderr
    assert not lock.exists()
    assert len(pd.read_parquet(tmp_path / "data" / TRANSACTIONS_FILE)) == 5


def test_leftovers_of_killed_writers_are_removed_and_a_live_writers_are_kept(tmp_path: Path) -> None:
    write_sales(tmp_path / "sales.csv", 5)
    pid = dead_pid()
    stale = [f".data.tmp-{pid}-0a1b2c3d", f".data.old-{pid}-0a1b2c3e", ".data.tmp-5e6f7a8b"]
    for name in stale:
        (tmp_path / name).mkdir()
        (tmp_path / name / TRANSACTIONS_FILE).write_bytes(b"x" * 100_000)
    alive = f".data.tmp-{os.getpid()}-9c9c9c9c"
    (tmp_path / alive).mkdir()
    (tmp_path / ".other.tmp-1-00000000").mkdir()

    result = run("ingest", str(tmp_path / "sales.csv"), "--out", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert scratch_entries(tmp_path, "data") == [alive]
    assert (tmp_path / ".other.tmp-1-00000000").exists()


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create entries in (chmod for a user, /sys for root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    try:
        os.mkdir("/sys/customer-insight-probe")
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES, errno.EROFS):
            return Path("/sys")
        raise
    os.rmdir("/sys/customer-insight-probe")
    pytest.skip("running as root with no read-only folder to write into")


@pytest.mark.parametrize("case", [
    "ingest_out_is_a_file", "ingest_out_below_a_file", "ingest_out_unwritable",
    "score_out_is_a_folder", "features_out_is_a_folder", "audiences_out_is_a_file", "resolve_out_is_a_file",
])
def test_bad_out_is_one_line_and_exit_2(case: str, store_copy: Path, score_env: dict[str, str],
                                        tmp_path: Path) -> None:
    write_sales(tmp_path / "sales.csv", 5)
    transactions = str(store_copy / TRANSACTIONS_FILE)
    existing_file = tmp_path / "taken.parquet"
    existing_file.write_bytes(b"keep me")
    existing_folder = tmp_path / "folder"
    existing_folder.mkdir()
    (existing_folder / "keep.txt").write_text("keep me")
    args, expected = {
        "ingest_out_is_a_file": (["ingest", str(tmp_path / "sales.csv"), "--out", str(existing_file)],
                                 f"{existing_file} is a file; this writes a folder there"),
        "ingest_out_below_a_file": (["ingest", str(tmp_path / "sales.csv"), "--out", str(existing_file / "data")],
                                    f"{existing_file} is a file, not a folder"),
        "ingest_out_unwritable": (["ingest", str(tmp_path / "sales.csv"), "--out",
                                   str(unwritable_folder(tmp_path) / "data")], "is not writable"),
        "score_out_is_a_folder": (["score", "--transactions", transactions, "--as-of", SCORED_AT,
                                   "--out", str(existing_folder)], f"{existing_folder} is a folder; this writes a file"),
        "features_out_is_a_folder": (["features", "--transactions", transactions, "--as-of", SCORED_AT,
                                      "--out", str(existing_folder)], f"{existing_folder} is a folder"),
        "audiences_out_is_a_file": (["audiences", "--scores", str(existing_file), "--out", str(existing_file)],
                                    f"{existing_file} is a file; this writes a folder there"),
        "resolve_out_is_a_file": (["resolve", "--records", str(tmp_path / "sales.csv"), "--out", str(existing_file)],
                                  f"{existing_file} is a file; this writes a folder there"),
    }[case]
    message = refused(run(*args, env=score_env))
    assert expected in message
    assert existing_file.read_bytes() == b"keep me"
    assert (existing_folder / "keep.txt").read_text() == "keep me"
