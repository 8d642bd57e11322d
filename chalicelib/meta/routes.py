"""Public, read-only routes: health, and the schema and rules every client reads.

`GET /meta` is what the pages (and any other client) read instead of keeping their own copies of
labels, status values, required fields, validation patterns and the photo spec numbers.
`GET /meta/fields` serves the same body for clients written against its older, smaller shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.bootstrap import deps
from chalicelib.contract import OBJECT, obj
from chalicelib.lazy import lazy_module
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib import client_text
    from chalicelib.members import schema
    from chalicelib.photo import spec
else:  # loaded on first use: the photo spec brings Pillow (docs/architecture.md, "Cold start")
    client_text = lazy_module("chalicelib.client_text")
    schema = lazy_module("chalicelib.members.schema")
    spec = lazy_module("chalicelib.photo.spec")

api = Api(__name__)

META = obj({"fields": {"type": "array", "items": OBJECT}, "associations": {"type": "array", "items": OBJECT},
            "statuses": OBJECT, "validation": OBJECT, "photo_spec": OBJECT},
           ("fields", "associations", "statuses", "validation", "photo_spec"))


SUPPORT_LABEL = "咨询电话"


def body() -> dict[str, Any]:
    support = {"phone": deps().settings.support_phone, "label": SUPPORT_LABEL}
    return {**schema.meta(), "photo_spec": spec.SPEC.public(), "support": support}


@api.route("/health", response=obj({"ok": {"const": True}}, ("ok",)))
def health(req: Request) -> dict[str, Any]:
    return {"ok": True}


@api.route("/meta", response=META)
def meta(req: Request) -> dict[str, Any]:
    return body()


@api.route("/meta/fields", response=META)
def fields(req: Request) -> dict[str, Any]:
    return body()


@api.route("/meta/messages", response=OBJECT)
def messages(req: Request) -> dict[str, Any]:
    return client_text.messages()
