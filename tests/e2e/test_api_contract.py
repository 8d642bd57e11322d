"""schemathesis against the local stack over real HTTP: every operation of GET /openapi.json as
staff, as a member and anonymously, with a bounded, reproducible number of generated requests.

Passes only with 0 responses >= 500 and 0 answers outside the document (status codes, content
types, response bodies). The stack is this module's own (fuzzing changes data: it must not share
demo accounts with the browser tests); the tokens it holds are never logged out or re-passworded.
Inputs it found are replayed in tests/integration/core/test_fuzz_regressions.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import DEMO_PASSWORD, ROOT, free_port

ST = str(Path(sys.executable).parent / "st")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MAX_EXAMPLES = 10
# The tokens held for the run stay valid: no logout, no password change with them.
KEEP_TOKEN = ["--exclude-path", "/auth/logout", "--exclude-path", "/auth/password/change"]
ARTIFACTS = ROOT / "test-artifacts" / "schemathesis"


def _json(url: str, body: dict[str, str] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    ports = {"API_PORT": free_port(), "WEB_PORT": free_port(), "MOTO_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.endswith("_TABLE")}
    env.update({k: str(v) for k, v in ports.items()}, CAPTCHA_TEST_CODE="TEST")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "stack.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{ports['API_PORT']}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                _json(base + "/health")
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("local stack did not start: see test-artifacts/schemathesis/stack.log")
                time.sleep(1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _login(api: str, user_type: str, username: str) -> str:
    captcha = _json(api + "/auth/captcha")
    res = _json(api + "/auth/login", {"user_type": user_type, "username": username, "password": DEMO_PASSWORD,
                                      "captcha_id": str(captcha["captcha_id"]), "captcha_code": "TEST"})
    return str(res["token"])


def _run(api: str, name: str, extra: list[str]) -> subprocess.Popen[str]:
    cmd = [ST, "run", api + "/openapi.json", "--url", api, "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
           "--generation-deterministic", "--phases", "fuzzing", "--workers", "1", "--no-color",
           "--report", "junit",
           "--report-junit-path", str(ARTIFACTS / f"{name}.xml"), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ARTIFACTS)


def test_every_operation_fuzzed_as_staff_member_and_anonymous(api: str) -> None:
    staff, member = _login(api, "staff", "bj_staff"), _login(api, "member", "110000000001")
    started = time.monotonic()
    runs = {
        "staff": _run(api, "staff", ["-H", f"Authorization: Bearer {staff}", *KEEP_TOKEN]),
        "member": _run(api, "member", ["-H", f"Authorization: Bearer {member}", *KEEP_TOKEN,
                                       "--include-path-regex", "^/(me|auth|meta|public|health)"]),
        "anonymous": _run(api, "anonymous", []),
    }
    outputs = {name: p.communicate(timeout=600)[0] for name, p in runs.items()}
    elapsed = time.monotonic() - started
    cases = {name: int(m.group(1)) if (m := re.search(r"(\d+) generated", out)) else 0
             for name, out in outputs.items()}
    print(f"schemathesis: {sum(cases.values())} requests {cases} in {elapsed:.0f} s")
    for name, p in runs.items():
        (ARTIFACTS / f"{name}.txt").write_text(outputs[name], encoding="utf-8")
        assert p.returncode == 0, f"schemathesis as {name}:\n{outputs[name][-6000:]}"
        assert cases[name] > 0, outputs[name][-2000:]
    # the anonymous run selected and exercised every operation of the document
    assert re.search(r"Selected: (\d+)/\1\s+Tested: \1\b", outputs["anonymous"]), outputs["anonymous"][-2000:]
