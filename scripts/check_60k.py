"""Association-scale check of the local stack, over HTTP, as staff would do it by hand.

Why this exists: the long operations (export, bulk certificates, a 60,000-row import) must run
as jobs against the local stack seeded with 60,000 members in one association, with visible
progress and downloadable results, and the local gateway must refuse an oversized response.
This script does exactly that and prints what happened, step by step, with times:

- starts `python -m devstack --members N` on free ports (CAPTCHA_TEST_CODE set, the gateway's
  probe routes on), or uses a running stack given `--api` (and `--captcha`, `--stack-pid`);
- logs in as bj_staff (the demo staff of 110000) with the test captcha code;
- export: the export job of all members; downloads the xlsx and counts its rows;
- oversized: one response over the 6 MB payload limit (the gateway's probe route), which must
  come back as the gateway's 502, not as the body;
- import: a workbook of N generated members (devstack.fake), sent with the presigned upload,
  checked by an import_check job, then imported by an import job; downloads its results;
- bulk: the bulk certificates job for every member with complete information and an accepted
  photo (the N seeded ones and the demo ones; the N imported ones have no photo yet); downloads
  the ZIP, counts its PDFs, opens a few of them (pyHanko's PDF reader) and reads report.csv.
  It runs last because it takes longest; `--job-timeout` cancels a job still running after that
  many seconds and reports how far it got.

While it runs, it samples the resident memory of the stack's main process (where the moto
server keeps every table, object and queue) and reports each step's peak.
Progress lines: done / total, rate and time left, as the admin page shows them.

Run: `.venv/bin/python scripts/check_60k.py` (`--members 6000` for a quick run; `--steps
export,oversized` for some of the steps).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

ASSOCIATION = "110000"
STAFF, PASSWORD = "bj_staff", "Demo#2026"  # the demo staff of 110000 (devstack/demo.py)
STEPS = ("export", "oversized", "import", "bulk")
PAYLOAD_LIMIT = 6 * 1024 * 1024
ACCESS_LOG = re.compile(r"^\S+ - - \[")  # the local API server's request log
METRIC = '{"_aws":'  # the workers' metric records (EMF), one per certificate


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Memory:
    """Samples a process's resident set size (Linux /proc) every second; `peak` since `reset`."""

    def __init__(self, pid: int | None) -> None:
        self.pid, self.peak, self.last = pid, 0, 0
        if pid:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                text = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            found = re.search(r"VmRSS:\s+(\d+) kB", text)
            if found:
                self.last = int(found.group(1)) * 1024
                self.peak = max(self.peak, self.last)
            time.sleep(1)

    def reset(self) -> None:
        self.peak = self.last

    def describe(self) -> str:
        if not self.pid:
            return "moto memory not watched (no --stack-pid)"
        return f"moto server process RSS now {self.last / 2**20:,.0f} MiB, peak in this step {self.peak / 2**20:,.0f} MiB"


class Stack:
    def __init__(self, api: str, captcha: str, pid: int | None, proc: subprocess.Popen[str] | None = None) -> None:
        self.api, self.captcha, self.proc = api.rstrip("/"), captcha, proc
        self.memory = Memory(pid)
        self.http = requests.Session()
        self.token = ""
        self.job_timeout_s = 6 * 3600.0

    def call(self, method: str, path: str, body: Any = None, retry: bool = True, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = self.http.request(method, self.api + path, json=body, headers=headers, timeout=60, **kw)
        if resp.status_code == 401 and retry and self.token and not path.startswith("/auth/"):
            say("  the staff token expired (a job outlasts a session): logging in again, as staff would")
            self.login()
            return self.call(method, path, body, retry=False, **kw)
        return resp

    def json(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.call(method, path, body)
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {path} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def login(self) -> None:
        self.token = ""
        captcha = self.json("GET", "/auth/captcha")
        self.token = self.json("POST", "/auth/login", {
            "user_type": "staff", "username": STAFF, "password": PASSWORD,
            "captcha_id": captcha["captcha_id"], "captcha_code": self.captcha})["token"]

    def follow(self, job: dict[str, Any], label: str, every_s: float = 10.0) -> dict[str, Any]:
        """Polls the job as the admin page does, printing progress every `every_s` seconds; cancels
        it after `job_timeout_s`."""
        last, deadline = 0.0, time.monotonic() + self.job_timeout_s
        while job["status"] in ("planning", "running", "assembling"):
            if time.monotonic() > deadline:
                say(f"  {label}: still {job['status']} after {self.job_timeout_s:.0f} s "
                    f"({job['done']:,}/{job['total']:,}); cancelling it")
                self.call("POST", f"/jobs/{job['job_id']}/cancel")
                job = {**job, "status": "timed out"}
                break
            time.sleep(1)
            job = self.json("GET", f"/jobs/{job['job_id']}")
            if time.monotonic() - last >= every_s:
                last = time.monotonic()
                rate = f"{job['rate_per_s']:,.1f}/s" if job.get("rate_per_s") else "-"
                eta = f"{job['eta_s']} s" if job.get("eta_s") is not None else "-"
                say(f"  {label}: {job['status']} {job['done']:,}/{job['total']:,} (failed {job['failed']:,}), "
                    f"rate {rate}, time left {eta}; chunks {job['chunks_done']}/{job['chunks']}; "
                    f"moto RSS {self.memory.last / 2**20:,.0f} MiB")
        return job

    def download(self, job: dict[str, Any], part: str = "result") -> Path:
        link = self.json("GET", f"/jobs/{job['job_id']}/result" + ("?part=report" if part == "report" else ""))
        out = Path(tempfile.mkdtemp(prefix="check60k-")) / (link.get("filename") or "result")
        with requests.get(link["url"], stream=True, timeout=600) as resp:
            resp.raise_for_status()
            with out.open("wb") as f:
                for block in resp.iter_content(1 << 20):
                    f.write(block)
        return out


def _start_stack(members: int) -> Stack:
    ports = {"API_PORT": _free_port(), "WEB_PORT": _free_port(), "MOTO_PORT": _free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.endswith("_TABLE")}
    captcha = "CHECK60K"
    env.update({k: str(v) for k, v in ports.items()}, CAPTCHA_TEST_CODE=captcha, LOCAL_GATEWAY_PROBES="1")
    say(f"starting the local stack with --members {members} (API port {ports['API_PORT']})")
    proc = subprocess.Popen([sys.executable, "-m", "devstack", "--members", str(members)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    started = time.monotonic()
    for line in proc.stdout:  # type: ignore[union-attr]
        if "seeded" in line or line.startswith("[") or "Error" in line:
            say(f"  | {line.rstrip()}")
        if "Press Ctrl-C to stop" in line:
            break
    else:
        raise SystemExit(f"the local stack did not start (exit code {proc.wait()})")
    say(f"stack up in {time.monotonic() - started:.0f} s")

    def relay() -> None:  # the stack's later output: worker messages, failures
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.strip() and not ACCESS_LOG.match(line) and METRIC not in line:
                say(f"  | {line.rstrip()}")

    threading.Thread(target=relay, daemon=True).start()
    return Stack(f"http://127.0.0.1:{ports['API_PORT']}", captcha, proc.pid, proc)


def _timed(name: str, results: dict[str, str], stack: Stack) -> Callable[[Callable[[], str]], None]:
    def run(step: Callable[[], str]) -> None:
        stack.memory.reset()
        say(f"== {name}")
        t0 = time.monotonic()
        try:
            outcome = step()
        except Exception as exc:  # report and go on with the next step
            outcome = f"FAILED: {type(exc).__name__}: {exc}"
        took = time.monotonic() - t0
        results[name] = f"{took:7.1f} s  {outcome}  [{stack.memory.describe()}]"
        say(f"== {name}: {results[name]}")
    return run


def step_export(stack: Stack) -> str:
    from openpyxl import load_workbook

    from chalicelib.members import excel

    t0 = time.monotonic()
    job = stack.follow(stack.json("POST", "/jobs", {"kind": "export", "filter": {}}), "export")
    job_s = time.monotonic() - t0
    if job["status"] != "done":
        return f"FAILED: job {job['status']}: {job.get('message')}"
    path = stack.download(job)
    wb = load_workbook(path, read_only=True)
    data = [ws for ws in wb.worksheets if ws.title.startswith(excel.DATA_SHEET)]
    rows = sum((ws.max_row or 1) - 1 for ws in data)  # minus each sheet's header
    ok = "ok" if rows == job["total"] else "MISMATCH"
    return (f"job {job_s:.1f} s; {job['total']:,} members; xlsx {path.stat().st_size / 1e6:.1f} MB with "
            f"{rows:,} data rows ({ok}; sheets {', '.join(wb.sheetnames)})")


def _pdfs_open(zf: zipfile.ZipFile, names: list[str]) -> str:
    from pyhanko.pdf_utils.reader import PdfFileReader

    opened = []
    for name in names:
        reader = PdfFileReader(io.BytesIO(zf.read(name)))
        pages = int(reader.root["/Pages"]["/Count"])
        signed = len(reader.embedded_signatures)
        opened.append(f"{pages} page(s), {signed} signature(s)")
    return "; ".join(opened)


def step_bulk(stack: Stack) -> str:
    t0 = time.monotonic()
    job = stack.json("POST", "/jobs", {"kind": "bulk_certs", "filter": {"photo_status": "accepted"},
                                       "only_complete": True})
    job = stack.follow(job, "bulk")
    job_s = time.monotonic() - t0
    if job["status"] != "done":
        return (f"FAILED: job {job['status']} after {job_s:.0f} s at {job['done']:,}/{job['total']:,} "
                f"({job['done'] / job_s:.1f} certificates/s): {job.get('message')}")
    t1 = time.monotonic()
    path = stack.download(job)
    download_s = time.monotonic() - t1
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pdfs = [n for n in names if n.lower().endswith(".pdf")]
        sample = random.Random(16).sample(pdfs, min(3, len(pdfs)))
        opened = _pdfs_open(zf, sample)
        report = zf.read("report.csv").decode("utf-8-sig").splitlines() if "report.csv" in names else []
    ok = "ok" if len(pdfs) == job["total"] - job["failed"] else "MISMATCH"
    return (f"job {job_s:.1f} s ({job['total'] / job_s:.1f} certificates/s); {job['total']:,} members, "
            f"{job['failed']:,} failed; ZIP {path.stat().st_size / 1e9:.2f} GB downloaded in {download_s:.0f} s, "
            f"{len(pdfs):,} PDFs ({ok}), report.csv {max(len(report) - 1, 0)} rows; sample PDFs: {opened}")


def _workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    from chalicelib.members import excel
    from devstack.fake import person

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.DATA_SHEET)
    ws.append([excel.header_label(f) for f in excel.TEMPLATE_FIELDS])
    rng, seen = random.Random(1616), set[str]()
    while len(seen) < rows:
        p = person(rng, ASSOCIATION, complete=True)
        if p["id_number"] in seen:
            continue
        seen.add(p["id_number"])
        ws.append([p.get(f.key, "") for f in excel.TEMPLATE_FIELDS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def step_import(stack: Stack, rows: int) -> str:
    t0 = time.monotonic()
    data = _workbook(rows)
    made_s = time.monotonic() - t0
    say(f"  import: wrote a {rows:,}-row workbook ({len(data) / 1e6:.1f} MB) in {made_s:.0f} s")
    post = stack.json("POST", "/members/imports/uploads", {})
    t1 = time.monotonic()
    resp = requests.post(post["url"], data=post["fields"], files={"file": ("members.xlsx", data)}, timeout=300)
    if resp.status_code >= 300:
        return f"FAILED: presigned upload -> {resp.status_code}: {resp.text[:200]}"
    upload_s = time.monotonic() - t1
    t2 = time.monotonic()
    check = stack.follow(stack.json("POST", "/jobs", {"kind": "import_check", "upload_id": post["upload_id"]}),
                         "import_check")
    check_s = time.monotonic() - t2
    if check["status"] != "done":
        return f"FAILED: import_check {check['status']}: {check.get('message')}"
    report = stack.json("GET", f"/members/imports/{post['upload_id']}")
    say(f"  import: check {check_s:.1f} s: rows {report.get('rows')}, create {report.get('create')}, "
        f"update {report.get('update')}, errors {report.get('error_count')} in {report.get('error_rows')} rows")
    t3 = time.monotonic()
    job = stack.follow(stack.json("POST", "/jobs", {"kind": "import", "upload_id": post["upload_id"]}), "import")
    import_s = time.monotonic() - t3
    if job["status"] != "done":
        return f"FAILED: import {job['status']}: {job.get('message')}"
    parts = [f"upload {upload_s:.1f} s, import_check job {check_s:.1f} s, import job {import_s:.1f} s "
             f"({job['total'] / import_s:.0f} rows/s); {job['done']:,} rows done, {job['failed']:,} failed"]
    if job.get("has_result"):
        path = stack.download(job)
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        parts.append(f"results {path.name}: {max(len(lines) - 1, 0):,} rows")
    if job.get("has_report"):
        lines = stack.download(job, "report").read_text(encoding="utf-8-sig").splitlines()
        parts.append(f"failure report: {max(len(lines) - 1, 0):,} rows")
    return "; ".join(parts)


def step_oversized(stack: Stack) -> str:
    size = PAYLOAD_LIMIT * 3 // 4 + 64 * 1024  # binary: base64 takes it past 6 MB
    resp = stack.call("GET", f"/_dev/probe/bytes?size={size}")
    if resp.status_code == 404:
        return "SKIPPED: the stack runs without LOCAL_GATEWAY_PROBES=1"
    body = resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else {}
    ok = resp.status_code == 502 and body.get("code") == "SERVICE_UNAVAILABLE"
    return (f"{'ok' if ok else 'NOT REFUSED'}: a {size:,}-byte binary response answered "
            f"{resp.status_code} {json.dumps(body, ensure_ascii=False)} ({len(resp.content):,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=60_000, help="members to seed and rows to import")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--api", help="use a running stack at this API URL instead of starting one")
    parser.add_argument("--captcha", default="TEST", help="the running stack's CAPTCHA_TEST_CODE")
    parser.add_argument("--stack-pid", type=int, help="the running stack's pid (to watch moto's memory)")
    parser.add_argument("--job-timeout", type=float, default=6 * 3600, metavar="S",
                        help="cancel a job still running after S seconds (default 6 h)")
    args = parser.parse_args(argv)
    steps = [s for s in args.steps.split(",") if s]
    if unknown := set(steps) - set(STEPS):
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # so that the stack this script started is stopped too

    signal.signal(signal.SIGTERM, stop)
    started = time.monotonic()
    stack = Stack(args.api, args.captcha, args.stack_pid) if args.api else _start_stack(args.members)
    stack.job_timeout_s = args.job_timeout
    results: dict[str, str] = {}
    try:
        stack.login()
        say(f"logged in as {STAFF}")
        actions: dict[str, Callable[[], str]] = {
            "export": lambda: step_export(stack), "bulk": lambda: step_bulk(stack),
            "import": lambda: step_import(stack, args.members), "oversized": lambda: step_oversized(stack)}
        for name in steps:
            _timed(name, results, stack)(actions[name])
    finally:
        if stack.proc is not None:
            stack.proc.send_signal(signal.SIGTERM)
            try:
                stack.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                stack.proc.kill()
    say(f"summary (total {time.monotonic() - started:.0f} s):")
    for name, line in results.items():
        print(f"  {name:<10}{line}", flush=True)
    return 1 if any("FAILED" in r or "NOT REFUSED" in r or "MISMATCH" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
