"""The local stack's job workers are processes of their own (`devstack.workers`): a job runs
through them, a worker that dies is reported and replaced, and none outlives its stack, whether
the stack stops on SIGTERM or is killed outright."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.stack
READY = re.compile(r"^\[(jobs-\d)\] job worker ready \(pid (\d+)\)")


def _ready(output: list[str]) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for line in list(output) if (m := READY.match(line))]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _export_done(stack: Any, token: str) -> dict[str, Any]:
    job = stack.json("POST", "/jobs", {"kind": "export"}, token)
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = stack.json("GET", f"/jobs/{job['job_id']}", token=token)
    return job


def test_jobs_run_in_worker_processes_that_are_replaced_and_stop_with_the_stack() -> None:
    with start_stack() as stack:
        workers = _ready(stack.output)
        assert sorted(name for name, _ in workers) == ["jobs-1", "jobs-2"], workers
        pids = [pid for _, pid in workers]
        assert len(set(pids)) == 2 and stack.proc.pid not in pids
        assert all(_alive(pid) and _parent(pid) == stack.proc.pid for pid in pids)

        token = stack.login("staff", "bj_staff")
        job = _export_done(stack, token)
        assert job["status"] == "done" and job["done"] == job["total"] > 0, job

        os.kill(pids[0], signal.SIGKILL)
        _wait(lambda: len(_ready(stack.output)) == 3, 60, "no replacement worker:\n" + "".join(stack.output))
        assert any(f"(pid {pids[0]}) was killed by signal 9; starting another" in line for line in stack.output)
        replacement = _ready(stack.output)[-1][1]
        assert _alive(replacement) and _parent(replacement) == stack.proc.pid
        token = stack.login("staff", "bj_staff")
        job = _export_done(stack, token)
        assert job["status"] == "done", job
        running = [pids[1], replacement]
    assert stack.proc.returncode == 0, "".join(stack.output)
    assert not [pid for pid in running if _alive(pid)], "workers outlived the stopped stack"


def test_workers_stop_when_the_stack_is_killed() -> None:
    with start_stack() as stack:
        pids = [pid for _, pid in _ready(stack.output)]
        assert len(pids) == 2
        stack.proc.kill()  # no chance to stop its workers itself
        stack.proc.wait()
        _wait(lambda: not [pid for pid in pids if _alive(pid)], 10,
              "workers outlived their killed stack:\n" + "".join(stack.output))
