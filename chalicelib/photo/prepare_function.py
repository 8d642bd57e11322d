"""The photo auto-fix in a Lambda function of its own (`photo_prepare`), and the API's side of it.

Why this exists: the auto-fix (`POST /me/photo/prepare`, the staff prepare and use-reference
routes) finds faces. Where the face engine is dlib inside Lambda (`prod-cn`), it needs the face
layer (dlib, numpy and two models, ~100 MB unzipped); attached to the API function, that layer
would be part of every API cold start, for every route. So a stage may name a function
(`PHOTO_PREPARE_FUNCTION`) that carries the layer, and the API invokes it synchronously instead of
running the engine itself. Unset (the local stack, the tests, `prod` with Rekognition), the
auto-fix runs in the API's own process as before. Either way the service calls one
:data:`Preparer`: the route logic is the same code, only the preparer differs.

The image does not travel in the payload: a synchronous invoke carries at most 6 MB each way,
and an 8 MB upload is ~10.7 MB in base64. The API writes it to the private photo bucket under
``prepare/<random>`` and sends the key and version; the function reads that version, prepares,
deletes the version (the bucket is versioned: a plain delete would keep the bytes) and answers
with the fitted JPEG (≤ 20 KB) in base64 and the report. What the function could not delete,
the bucket's lifecycle rule on ``prepare/`` removes after a day.

An error the member should see (an ``AppError``: its status, code, Chinese message and extra
keys) travels in the answer and is raised again in the API unchanged. A function that fails,
times out or cannot be reached becomes 503 ``PHOTO_PREPARE_UNAVAILABLE``. Log lines name the
failure's kind and place, never an image, a name or a member number.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, Mapping

from chalicelib.errors import AppError, ServiceUnavailable, failure_site

from .checks import PhotoResult

if TYPE_CHECKING:
    from chalicelib.bootstrap import Deps
    from chalicelib.storage import PhotoStore

log = logging.getLogger(__name__)

# Lambda's limit on a synchronous invoke's request and on its response (6 MB each).
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
# `PHOTO_PREPARE_FUNCTION=local`: the function's handler in this process, behind the same JSON
# boundary and payload limit as Lambda (tests and the local stack; moto's Lambda needs docker).
LOCAL = "local"
STAGING_PREFIX = "prepare/"
_STAGED_KEY = re.compile(r"^prepare/[0-9a-f]{32}$")

Preparer = Callable[[bytes], "tuple[bytes, PhotoResult]"]
Invoker = Callable[[dict[str, Any]], dict[str, Any]]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class PrepareUnavailable(ServiceUnavailable):
    code = "PHOTO_PREPARE_UNAVAILABLE"
    message = "照片自动处理服务暂时不可用,请稍后再试"


class PrepareFailed(RuntimeError):
    """Raised by the function instead of the original failure, so that Lambda's log of a failed
    invocation carries no message that might hold a member's data."""


# -- errors across the boundary -----------------------------------------------------------------

def error_to_dict(err: AppError) -> dict[str, Any]:
    return {"status": err.status, "code": err.code, "message": err.message, "extra": err.extra,
            "headers": err.headers}


def error_from_dict(data: Mapping[str, Any]) -> AppError:
    """The function's AppError as the API raises it: same status, code, message and extra keys."""
    return AppError(str(data["message"]), code=str(data["code"]), status=int(data["status"]),
                    headers=dict(data.get("headers") or {}), **dict(data.get("extra") or {}))


# -- the function's side ------------------------------------------------------------------------

def handle(d: Deps, event: Mapping[str, Any]) -> dict[str, Any]:
    """Prepare the staged image named by ``event`` with this function's face engine."""
    from .prepare import prepare_portrait  # the face stack: loaded by this function only

    key, version = str(event.get("key", "")), event.get("version_id") or None
    if not _STAGED_KEY.fullmatch(key):  # the role can read nothing else; say so plainly
        raise ValueError("photo_prepare reads only prepare/<32 hex> keys")
    try:
        staged = d.photos.get(key, version)
        if staged is None:
            raise PrepareUnavailable()
        fitted, report = prepare_portrait(staged.body, d.face_engine)
    except AppError as err:
        return {"error": error_to_dict(err)}
    finally:
        _discard(d.photos, key, version)
    return {"image": base64.b64encode(fitted).decode("ascii"), "report": report.to_dict()}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The `photo_prepare` function's body (app.py registers it; the local invoker calls it)."""
    from chalicelib.bootstrap import deps

    try:
        return handle(deps(), event)
    except Exception as exc:
        ref = uuid.uuid4().hex[:12]
        log.error("photo prepare failed ref=%s type=%s at=%s", ref, type(exc).__name__, failure_site(exc))
        raise PrepareFailed(f"photo prepare failed ref={ref}") from None


def _discard(photos: PhotoStore, key: str, version: str | None) -> None:
    try:
        photos.delete(key, version)
    except AppError:  # the lifecycle rule on prepare/ removes it within a day
        log.warning("staged photo not deleted; the bucket's lifecycle rule will")


# -- the API's side -----------------------------------------------------------------------------

class RemotePreparer:
    """The auto-fix through the `photo_prepare` function: stage, invoke, read the answer."""

    def __init__(self, photos: PhotoStore, invoke: Invoker) -> None:
        self._photos = photos
        self._invoke = invoke

    def __call__(self, data: bytes) -> tuple[bytes, PhotoResult]:
        key = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        version = self._photos.put(key, data, content_type="application/octet-stream")
        try:
            answer = self._invoke({"key": key, "version_id": version})
        except PrepareUnavailable:
            _discard(self._photos, key, version)  # the function may not have got that far
            raise
        return read_answer(answer)


def read_answer(answer: Mapping[str, Any]) -> tuple[bytes, PhotoResult]:
    if "error" in answer:
        raise error_from_dict(answer["error"])
    try:
        return base64.b64decode(answer["image"], validate=True), PhotoResult.from_dict(answer["report"])
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        log.error("photo prepare answered in an unknown shape type=%s", type(exc).__name__)
        raise PrepareUnavailable() from None


class LambdaInvoker:
    """A synchronous (RequestResponse) invoke of the `photo_prepare` function."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function = function_name

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            resp = self._client.invoke(FunctionName=self._function, InvocationType="RequestResponse",
                                       Payload=json.dumps(event).encode("utf-8"))
            payload = resp["Payload"].read()
        except ClientError as exc:
            log.error("photo prepare invoke refused code=%s", exc.response.get("Error", {}).get("Code", ""))
            raise PrepareUnavailable() from None
        except BotoCoreError as exc:  # connection failure, read timeout (the function ran too long)
            log.error("photo prepare invoke failed type=%s", type(exc).__name__)
            raise PrepareUnavailable() from None
        if resp.get("FunctionError"):
            log.error("photo prepare function failed kind=%s", resp["FunctionError"])
            raise PrepareUnavailable()
        return _json_object(payload)


class LocalInvoker:
    """Lambda's synchronous invoke, in this process: the event and the answer cross a JSON
    boundary, each under Lambda's 6 MB limit, and a raised exception is a function error."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        request = json.dumps(event).encode("utf-8")
        if len(request) > MAX_PAYLOAD_BYTES:  # Lambda: RequestEntityTooLargeException
            log.error("photo prepare invoke refused code=RequestEntityTooLargeException")
            raise PrepareUnavailable()
        try:
            answer = self._handler(json.loads(request), None)
        except Exception:
            log.error("photo prepare function failed kind=Unhandled")
            raise PrepareUnavailable() from None
        response = json.dumps(answer).encode("utf-8")
        if len(response) > MAX_PAYLOAD_BYTES:  # Lambda: a function error, "payload size exceeded"
            log.error("photo prepare function failed kind=Unhandled (response too large)")
            raise PrepareUnavailable()
        return _json_object(response)


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        log.error("photo prepare answered in an unknown shape")
        raise PrepareUnavailable()
    return answer


def in_process(engine: Callable[[], Any]) -> Preparer:
    """The auto-fix in this process (no function named): `engine` is asked for on first use."""

    def _prepare(data: bytes) -> tuple[bytes, PhotoResult]:
        from .prepare import prepare_portrait

        return prepare_portrait(data, engine())

    return _prepare
