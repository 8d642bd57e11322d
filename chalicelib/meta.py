"""Public, read-only routes: health, and the schema and rules every client reads.

`GET /meta` is what the pages (and any other client) read instead of keeping their own copies of
labels, status values, required fields, validation patterns and the photo spec numbers.
`GET /meta/fields` serves the same body for clients written against its older, smaller shape.
"""

from __future__ import annotations

from typing import Any

from chalicelib import client_text
from chalicelib.bootstrap import deps
from chalicelib.members import schema
from chalicelib.photo.spec import SPEC
from chalicelib.web import Api, Request

api = Api(__name__)


SUPPORT_LABEL = "咨询电话"


def body() -> dict[str, Any]:
    support = {"phone": deps().settings.support_phone, "label": SUPPORT_LABEL}
    return {**schema.meta(), "photo_spec": SPEC.public(), "support": support}


@api.route("/health")
def health(req: Request) -> dict[str, Any]:
    return {"ok": True}


@api.route("/meta")
def meta(req: Request) -> dict[str, Any]:
    return body()


@api.route("/meta/fields")
def fields(req: Request) -> dict[str, Any]:
    return body()


@api.route("/meta/messages")
def messages(req: Request) -> dict[str, Any]:
    return client_text.messages()
