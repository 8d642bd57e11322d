"""The local gateway's cloud limits: what API Gateway and Lambda refuse, refused locally too.

Why it exists: Chalice's local server answers any request, however large or slow. Deployed, a
request is one Lambda invocation behind API Gateway (REST API, Lambda proxy integration), and
three limits apply that no unit test sees:

* the invocation payload is at most 6 MB (Lambda's synchronous limit). Binary bodies travel
  base64-encoded inside the event, so a 4.6 MB PDF already fills it. A request over the limit is
  refused by the gateway with 413; a response over it fails the invocation, which the gateway
  answers with 502;
* the gateway waits at most 29 s for the integration, then answers 504 (the function may go on
  running; the client has lost its answer).

Statuses are API Gateway's. Bodies and CORS headers are those of our deployed stage's gateway
responses (infra/: REQUEST_TOO_LARGE, DEFAULT_5XX), so the pages see locally exactly what they
would see in the cloud. (Without those gateway responses AWS would answer
{"message": "Request Too Long"}, {"message": "Internal server error"} and
{"message": "Endpoint request timed out"}.)

Sizes are counted the way Lambda counts them: the JSON of the event (request) or of the proxy
response object, with binary bodies base64-encoded inside it.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

#: Lambda's synchronous invocation payload limit, request and response (6 MB).
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: API Gateway's integration timeout for REST APIs (29 s).
GATEWAY_TIMEOUT_S = 29.0

REQUEST_TOO_LARGE = (413, {"code": "PAYLOAD_TOO_LARGE", "message": "上传的内容过大"})
INTEGRATION_FAILED = (502, {"code": "SERVICE_UNAVAILABLE", "message": "服务暂时不可用,请稍后再试"})
INTEGRATION_TIMEOUT = (504, {"code": "SERVICE_UNAVAILABLE", "message": "服务暂时不可用,请稍后再试"})

# Room for the rest of the proxy event around the body (path, parameters, request context);
# Chalice's local event has all of them but its exact size differs from API Gateway's.
_EVENT_OVERHEAD = 2048


def request_payload_bytes(headers: dict[str, str], body: bytes | None, binary: bool) -> int:
    """Approximate size of the Lambda proxy event for this request."""
    size = _EVENT_OVERHEAD + len(json.dumps(headers))
    if body:
        size += _base64_len(len(body)) if binary else len(json.dumps(body.decode("utf-8", "replace")))
    return size


def response_payload_bytes(response: dict[str, Any]) -> int:
    """Size of the proxy response object as the function returns it (binary body base64)."""
    return len(json.dumps(response).encode())


def _base64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


class Timeout(Exception):
    """The integration did not answer within the gateway's timeout."""


def call_with_timeout(fn: Callable[[], Any], timeout_s: float) -> Any:
    """`fn()` in a worker thread; raises `Timeout` after `timeout_s` (the worker runs on, as a
    Lambda does after its gateway gave up)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed back to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="lambda-invocation", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise Timeout()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def is_binary(headers: dict[str, str], binary_types: list[str]) -> bool:
    """Whether API Gateway would base64-encode this request body (its content type is binary)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    mime = content_type.split(";")[0].strip().lower()
    return bool(mime) and any(t == "*/*" or t.lower() == mime for t in binary_types)


def error_body(payload: dict[str, str]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()

