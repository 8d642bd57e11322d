"""Public, read-only routes: health, the field schema and the clients' shared texts."""

from __future__ import annotations

from typing import Any

from chalicelib import client_text
from chalicelib.members import schema
from chalicelib.web import Api, Request

api = Api(__name__)


@api.route("/health")
def health(req: Request) -> dict[str, Any]:
    return {"ok": True}


@api.route("/meta/fields")
def fields(req: Request) -> dict[str, Any]:
    return schema.meta()


@api.route("/meta/messages")
def messages(req: Request) -> dict[str, Any]:
    return client_text.messages()
