"""The local stack's job workers as processes: each pumps the jobs queue into the app's job worker.

Why processes: Lambda runs a job's chunks in concurrent invocations, each with its own CPU.
Threads of the local stack's one process would share one core (the GIL), so "parallel" workers
would run one at a time. Each worker here is `python -m devstack.workers`, started by the stack
(or a benchmark) with the stack's environment (moto's endpoint, resource names, keys), importing
the app and calling its SQS handler over HTTP to the moto server, with `devstack.pump.QueuePump`
(the same delivery, retry and dead-letter behaviour as the stack's thread pumps).

Parent side (`JobWorkers`): starts the processes, prefixes their output with the worker's name
("[jobs-1] ..."), waits until each is ready, reports a worker that exits (and starts a new one,
as Lambda would, a few times), and stops them with SIGTERM (SIGKILL after a grace period).
Worker side (`main`): stops on SIGINT/SIGTERM (between messages; a message being handled is
left to come back after its visibility timeout, as when an invocation is killed), and when the
parent dies (PR_SET_PDEATHSIG on Linux, and a watch on the parent's pid everywhere), so no
worker outlives its stack.
With `--timing` a worker prints, per message, the seconds it took and the seconds of the job
kind's own work (plan, chunk, assembly) on a line starting with `TIMING_MARK`, for the benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
READY_MARK = "job worker ready"
TIMING_MARK = "@timing "
MAX_RESTARTS = 3


# -- worker side -----------------------------------------------------------------------------------

class SignalFlag:
    """The worker's stop flag, set from its signal handler. Not a `threading.Event`: `set()` takes
    the event's lock, and a second signal handled inside it (the stack's death signal and then
    the parent watch's, close together) would wait for that lock forever, in the thread that
    holds it: the worker then outlived its stack."""

    def __init__(self) -> None:
        self.flag = False

    def set(self) -> None:
        self.flag = True

    def is_set(self) -> bool:
        return self.flag


def _die_with_parent(parent_pid: int) -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the watch below still notices

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)


class _KindTimer:
    """Adds up the seconds of the job kinds' own work (everything else is the job machinery)."""

    def __init__(self) -> None:
        self.work = 0.0

    def install(self) -> None:
        from chalicelib.jobs import kinds

        for name, kind in list(kinds.KINDS.items()):
            kinds.KINDS[name] = kinds.Kind(kind.label, kind.params, self._wrap(kind.plan),
                                           self._wrap(kind.chunk), self._wrap(kind.assemble))

    def _wrap(self, fn: Any) -> Any:
        def run(*args: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.work += time.perf_counter() - t0
        return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one local job worker (started by the local stack)")
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--timing", action="store_true", help="print each message's timing (benchmarks)")
    args = parser.parse_args(argv)

    stop = SignalFlag()
    pump: Any = None

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        if os.getppid() != args.parent_pid:
            # The stack died (its death signal, then the watch's) and its moto server with it:
            # nothing can be finished, and a receive in progress would wait out its retries.
            raise SystemExit(0)
        if pump is not None and pump.busy:
            print("stopping while handling a message; it comes back after the queue's visibility timeout",
                  flush=True)
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _die_with_parent(args.parent_pid)

    import app as app_module  # the environment is the stack's, inherited
    from chalicelib import aws
    from chalicelib.bootstrap import deps
    from devstack.pump import QueuePump

    d = deps()  # the cold start, before the first message
    timer = _KindTimer()
    after: Callable[[float], None] | None = None
    if args.timing:
        timer.install()

        def after(took: float) -> None:
            print(TIMING_MARK + json.dumps({"took_s": took, "work_s": timer.work}), flush=True)
            timer.work = 0.0

    pump = QueuePump(aws.client("sqs", d.settings.region), args.queue_url, app_module.job_worker, stop,
                     tag="", after=after)
    print(f"{READY_MARK} (pid {os.getpid()})", flush=True)
    pump.run()
    print("stopped", flush=True)
    return 0


# -- parent side -----------------------------------------------------------------------------------

@dataclass
class _Worker:
    name: str
    proc: subprocess.Popen[str]
    ready: threading.Event = field(default_factory=threading.Event)
    reported: bool = False


class JobWorkers:
    """`count` worker processes on the jobs queue at `queue_url`, with the current environment.

    `out` receives each output line, already prefixed; `on_timing` receives the `--timing`
    records (and turns timing on).
    """

    def __init__(self, count: int, queue_url: str, *, out: Callable[[str], None] | None = None,
                 on_timing: Callable[[str, dict[str, float]], None] | None = None) -> None:
        self.count, self.queue_url = count, queue_url
        self.out = out or (lambda line: print(line, flush=True))
        self.on_timing = on_timing
        self.workers: list[_Worker] = []
        self.restarts = 0
        self.stopping = False

    def start(self, ready_timeout: float = 120.0) -> JobWorkers:
        self.workers = [self._spawn(f"jobs-{i + 1}") for i in range(self.count)]
        self._wait_ready(self.workers, ready_timeout)
        return self

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers]

    def _spawn(self, name: str) -> _Worker:
        cmd = [sys.executable, "-u", "-m", "devstack.workers", "--queue-url", self.queue_url,
               "--parent-pid", str(os.getpid())]
        if self.on_timing is not None:
            cmd.append("--timing")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        worker = _Worker(name, proc)
        threading.Thread(target=self._relay, args=(worker,), name=f"{name}-output", daemon=True).start()
        return worker

    def _relay(self, worker: _Worker) -> None:
        for line in worker.proc.stdout:  # type: ignore[union-attr]
            line = line.rstrip("\n")
            if line.startswith(TIMING_MARK) and self.on_timing is not None:
                self.on_timing(worker.name, json.loads(line[len(TIMING_MARK):]))
                continue
            self.out(f"[{worker.name}] {line}")
            if line.startswith(READY_MARK):
                worker.ready.set()

    def _wait_ready(self, workers: list[_Worker], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for w in workers:
            while not w.ready.wait(0.2):
                if w.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"job worker {w.name} did not start (exit code {w.proc.poll()}); "
                                       "see its output above")

    def check(self) -> None:
        """Report a worker that exited, and start another in its place (a few times)."""
        if self.stopping:
            return
        for i, w in enumerate(self.workers):
            code = w.proc.poll()
            if code is None or w.reported:
                continue
            w.reported = True
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            if self.restarts >= MAX_RESTARTS:
                self.out(f"[jobs] job worker {w.name} (pid {w.proc.pid}) {how}; not restarted after "
                         f"{MAX_RESTARTS} restarts: jobs now run on fewer workers (restart the stack)")
                continue
            self.restarts += 1
            self.out(f"[jobs] job worker {w.name} (pid {w.proc.pid}) {how}; starting another "
                     f"(the message it held comes back after the queue's visibility timeout)")
            self.workers[i] = self._spawn(w.name)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the running workers so far (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for w in self.workers:
            try:
                fields = Path(f"/proc/{w.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def stop(self, grace_s: float = 10.0) -> None:
        self.stopping = True
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for w in self.workers:
            try:
                w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.out(f"[jobs] job worker {w.name} did not stop in {grace_s:.0f} s; killed")
                w.proc.kill()
                w.proc.wait()


if __name__ == "__main__":
    sys.exit(main())
