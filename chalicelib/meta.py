"""Public, read-only routes: health and the field schema."""

from __future__ import annotations

from typing import Any

from chalicelib.members import schema
from chalicelib.web import Api, Request

api = Api(__name__)


@api.route("/health")
def health(req: Request) -> dict[str, Any]:
    return {"ok": True}


@api.route("/meta/fields")
def fields(req: Request) -> dict[str, Any]:
    return schema.meta()
