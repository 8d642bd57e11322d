"""`python -m devstack` on free ports: real HTTP to the API and the site, clean stop on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.stack


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read()


def test_local_stack_serves_api_and_site_and_stops_cleanly():
    ports = {"API_PORT": free_port(), "WEB_PORT": free_port(), "MOTO_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.endswith("_TABLE")}
    env.update({k: str(v) for k, v in ports.items()})
    proc = subprocess.Popen([sys.executable, "-m", "devstack"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        text = "".join(output)
        assert "Press Ctrl-C to stop" in text, text
        assert "bj_staff" in text and "Demo#2026" in text

        api = f"http://127.0.0.1:{ports['API_PORT']}"
        status, body = _get(f"{api}/health")
        assert status == 200 and json.loads(body) == {"ok": True}
        status, body = _get(f"{api}/meta/fields")
        meta = json.loads(body)
        assert len(meta["fields"]) >= 40 and len(meta["associations"]) >= 36
        status, body = _get(f"http://127.0.0.1:{ports['WEB_PORT']}/")
        assert status == 200 and b"<html" in body.lower()
        status, body = _get(f"http://127.0.0.1:{ports['WEB_PORT']}/config.js")
        assert str(ports["API_PORT"]).encode() in body
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rest, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, rest
    assert "stopped" in rest
