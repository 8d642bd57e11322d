"""End-to-end set-up: the local stack in a subprocess, Debian's Chromium driven by Playwright.

- `stack` (session): `python -m devstack` on free ports with CAPTCHA_TEST_CODE, demo data loaded;
  its output is drained by a thread (the stack prints e-mails; a full pipe would block it) and
  kept for tests that need it. SIGTERM at the end, and the stack must stop cleanly.
- `browser` (session): headless Chromium from /usr/bin/chromium (Playwright cannot download its
  own browser here).
- `page` (per test): a fresh context; every console error and uncaught page error fails the test
  unless the test declared it expected with `console.allow(pattern)`. A Content-Security-Policy
  violation (reported by the page's `securitypolicyviolation` event) always fails it.
- `shots`: numbered full-page screenshots under test-artifacts/e2e/<test name>/; each one also
  asserts that the page has no horizontal overflow (the 375 px / 1440 px layout check).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import DEMO_PASSWORD, ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CAPTCHA_CODE = "TEST"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@dataclass
class Stack:
    web: str
    api: str
    proc: subprocess.Popen
    output: list[str] = field(default_factory=list)

    # -- direct API calls (for set-up and for changing data underneath the browser) --

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             accept: str = "application/json") -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api + path, data=data, method=method)
        req.add_header("Accept", accept)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, _, raw = self.call(method, path, body, token)
        assert status < 400, f"{method} {path} -> {status}: {raw[:500]!r}"
        return json.loads(raw) if raw else {}

    def login(self, user_type: str, username: str, password: str = DEMO_PASSWORD) -> str:
        captcha = self.json("GET", "/auth/captcha")
        res = self.json("POST", "/auth/login", {
            "user_type": user_type, "username": username, "password": password,
            "captcha_id": captcha["captcha_id"], "captcha_code": CAPTCHA_CODE})
        return res["token"]


def _drain(proc: subprocess.Popen, sink: list[str]) -> None:
    for line in proc.stdout:  # type: ignore[union-attr]
        sink.append(line)


@contextlib.contextmanager
def start_stack(extra_env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                drop: tuple[str, ...] = ("AWS_",)) -> Iterator[Stack]:
    """A local stack of its own on free ports, stopped with SIGTERM afterwards: `extra_env` sets
    settings for it, `args` go to `python -m devstack`, variables starting with `drop` are unset."""
    ports = {"API_PORT": free_port(), "WEB_PORT": free_port(), "MOTO_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and not k.endswith("_TABLE")}
    env.update({k: str(v) for k, v in ports.items()})
    env["CAPTCHA_TEST_CODE"] = CAPTCHA_CODE
    env.update(extra_env or {})
    proc = subprocess.Popen([sys.executable, "-m", "devstack", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    output: list[str] = []
    deadline = time.time() + 180
    while time.time() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line and proc.poll() is not None:
            break
        output.append(line)
        if "Press Ctrl-C to stop" in line:
            break
    if not any("Press Ctrl-C to stop" in line for line in output):
        proc.kill()
        pytest.fail("local stack did not start:\n" + "".join(output))
    threading.Thread(target=_drain, args=(proc, output), daemon=True).start()
    s = Stack(web=f"http://127.0.0.1:{ports['WEB_PORT']}", api=f"http://127.0.0.1:{ports['API_PORT']}",
              proc=proc, output=output)
    try:
        yield s
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The stack the browser tests share (demo data changes as they run)."""
    with start_stack() as s:
        yield s


@pytest.fixture(scope="module")
def fresh_stack() -> Iterator[Stack]:
    """A stack with untouched demo data, for a module whose flows need the members as seeded."""
    with start_stack() as s:
        yield s


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


CSP_MARK = "CSP violation:"
# Runs before any page script (Playwright injects it outside the page's CSP).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`%s ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}`);
}, true);
""" % CSP_MARK


class ConsoleWatch:
    """Collects console errors and page errors; expected ones are allowed by regex.

    CSP violations are never allowed: the site must run under its policy as deployed.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def on_page_error(self, exc: Any) -> None:
        self.errors.append(f"page error: {exc}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors
                if CSP_MARK in e or not any(p.search(e) for p in self.allowed)]


@pytest.fixture()
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture()
def viewport() -> dict[str, int]:
    return {"width": 1440, "height": 900}


@pytest.fixture()
def page(browser: Any, console: ConsoleWatch, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(20_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    pg = context.new_page()
    pg.on("console", console.on_console)
    pg.on("pageerror", console.on_page_error)
    yield pg
    context.close()
    bad = console.unexpected()
    assert not bad, "console errors:\n" + "\n".join(bad)


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.n = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Any, name: str) -> Path:
        """Screenshot the whole page; every step must also fit the viewport's width."""
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the viewport"
        return path


@pytest.fixture()
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Shots(ARTIFACTS / name)
