"""The local stack's gateway refuses what API Gateway + Lambda refuse: payloads over 6 MB (binary
bodies counted base64-encoded) and answers slower than the gateway timeout.

Runs its own stack (free ports, no demo data) with a 2 s gateway timeout and the test-only probe
routes, so the timeout is proven without waiting 29 s and without test routes in the real app.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from devstack.gateway import GATEWAY_TIMEOUT_S, MAX_PAYLOAD_BYTES
from tests.conftest import ROOT
from tests.e2e.conftest import start_stack

TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with start_stack({"LOCAL_GATEWAY_TIMEOUT_S": str(TIMEOUT_S), "LOCAL_GATEWAY_PROBES": "1"},
                     args=("--no-demo",)) as stack:
        yield stack.api


def _call(url: str, data: bytes | None = None, content_type: str = "application/json",
          accept: str = "application/json") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    req.add_header("Accept", accept)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_the_cloud_limits_are_the_defaults() -> None:
    assert MAX_PAYLOAD_BYTES == 6 * 1024 * 1024
    assert GATEWAY_TIMEOUT_S == 29.0


def test_response_over_6_mb_after_base64_is_refused_with_502(api: str) -> None:
    # 4.8 MB of binary is ~6.4 MB as base64 inside the Lambda response: over the limit.
    status, headers, body = _call(f"{api}/_dev/probe/bytes?size={4_800_000}", accept="application/zip")
    assert status == 502
    assert json.loads(body)["code"] == "SERVICE_UNAVAILABLE"
    assert headers.get("Access-Control-Allow-Origin", "").startswith("http://127.0.0.1:")
    # 4.6 MB is ~6.1 MB as base64 (under 6 MiB): it passes, byte for byte.
    status, _, body = _call(f"{api}/_dev/probe/bytes?size={4_600_000}", accept="application/zip")
    assert status == 200 and len(body) == 4_600_000


def test_request_over_6_mb_is_refused_with_413(api: str) -> None:
    big = json.dumps({"user_type": "member", "username": "x" * (6 * 1024 * 1024 + 1)}).encode()
    status, _, body = _call(f"{api}/auth/login", data=big)
    assert status == 413
    assert json.loads(body)["code"] == "PAYLOAD_TOO_LARGE"
    # A binary upload counts base64-encoded: 4.8 MB of JPEG is ~6.4 MB inside the event.
    status, _, _ = _call(f"{api}/auth/login", data=b"\xff" * 4_800_000, content_type="image/jpeg")
    assert status == 413
    # A normal-sized request still reaches the app (its own validation answers).
    status, _, _ = _call(f"{api}/auth/login", data=b"{}")
    assert status not in (413, 502, 504)


def test_route_slower_than_the_gateway_timeout_gets_504(api: str) -> None:
    t0 = time.monotonic()
    status, _, body = _call(f"{api}/_dev/probe/slow?seconds={TIMEOUT_S + 3}")
    elapsed = time.monotonic() - t0
    assert status == 504
    assert json.loads(body)["code"] == "SERVICE_UNAVAILABLE"
    assert TIMEOUT_S - 0.2 <= elapsed < TIMEOUT_S + 2.5
    status, _, body = _call(f"{api}/_dev/probe/slow?seconds=0.2")
    assert status == 200 and json.loads(body) == {"slept": 0.2}


def test_probe_routes_are_not_part_of_the_app() -> None:
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "probes" not in source and "_dev/probe" not in source
