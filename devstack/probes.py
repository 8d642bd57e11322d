"""Routes that exist only in the local stack, and only when LOCAL_GATEWAY_PROBES=1: a slow answer
and an answer of a chosen size, so end-to-end tests can show that the local gateway enforces the
cloud's timeout and payload limits. Never part of the deployed app (only devstack imports this)."""

from __future__ import annotations

import time
from typing import Mapping

from chalice import Blueprint, Response

probes = Blueprint(__name__)

_MAX_SLEEP_S = 120.0
_MAX_BYTES = 32 * 1024 * 1024


def _number(name: str, default: float, limit: float) -> float:
    params: Mapping[str, str] = probes.current_request.query_params or {}
    try:
        value = float(params.get(name) or default)
    except ValueError:
        value = default
    return max(0.0, min(value, limit))


@probes.route("/_dev/probe/slow", methods=["GET"])
def slow() -> dict[str, float]:
    seconds = _number("seconds", 1.0, _MAX_SLEEP_S)
    time.sleep(seconds)
    return {"slept": seconds}


@probes.route("/_dev/probe/bytes", methods=["GET"])
def sized() -> Response:
    """`size` bytes of a binary (ZIP) body: base64 makes it 4/3 larger inside the payload."""
    size = int(_number("size", 1024, _MAX_BYTES))
    return Response(body=b"\0" * size, status_code=200, headers={"Content-Type": "application/zip"})
