"""One error family for the whole application.

Services raise these; exactly one place (`chalicelib.web`) turns them into an HTTP response of
the form `{"code": "UPPER_SNAKE", "message": "中文说明", ...extra}`. Nothing else reaches a client:
any other exception becomes a generic 500 without a traceback.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any


class AppError(Exception):
    status = 400
    code = "BAD_REQUEST"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.headers: dict[str, str] = dict(headers or {})  # HTTP headers the response must carry
        self.extra = extra
        super().__init__(f"{self.code}: {self.message}")

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class BadRequest(AppError):
    status, code, message = 400, "BAD_REQUEST", "请求有误"


class ValidationFailed(AppError):
    """Field-level problems; `errors` is a list of {"key", "label", "message"}."""

    status, code, message = 422, "VALIDATION_FAILED", "填写的信息有误,请按提示修改"


class Unauthorized(AppError):
    status, code, message = 401, "UNAUTHORIZED", "请先登录"


class Forbidden(AppError):
    status, code, message = 403, "FORBIDDEN", "没有权限执行此操作"


class NotFound(AppError):
    status, code, message = 404, "NOT_FOUND", "未找到"


class Conflict(AppError):
    status, code, message = 409, "CONFLICT", "操作与当前状态冲突"


class PayloadTooLarge(AppError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", "上传的内容过大"


class TooManyRequests(AppError):
    """429; `retry_after` (seconds) is both in the body and in the standard Retry-After header."""

    status, code, message = 429, "TOO_MANY_REQUESTS", "操作过于频繁,请稍后再试"

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kwargs: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(int(retry_after))}, retry_after=int(retry_after),
                         **kwargs)


class ServiceUnavailable(AppError):
    status, code, message = 503, "SERVICE_UNAVAILABLE", "服务暂时不可用,请稍后再试"


def failure_site(exc: BaseException, depth: int = 6) -> str:
    """Where `exc` was raised, innermost first, as `file:line:function`: enough to find the bug,
    with neither the exception's message nor any local value, which may carry personal data."""
    frames = traceback.extract_tb(exc.__traceback__)[-depth:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames))
