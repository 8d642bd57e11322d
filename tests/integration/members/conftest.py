"""Helpers for the members tests: JSON calls through the Chalice test client, sent e-mail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes


class Http:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _reply(self, r: Any) -> Reply:
        ctype = r.headers.get("Content-Type", "")
        body = json.loads(r.body) if ctype.startswith("application/json") and r.body else None
        return Reply(r.status_code, body, dict(r.headers), r.body)

    def get(self, path: str, who: Any = None, accept: str = "", **params: Any) -> Reply:
        headers = dict(who.headers) if who else {}
        if accept:
            headers["Accept"] = accept
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return self._reply(self.client.http.get(path + (f"?{query}" if query else ""), headers=headers))

    def send(self, method: str, path: str, who: Any = None, body: Any = None, **params: Any) -> Reply:
        headers = dict(who.headers) if who else {"Content-Type": "application/json"}
        if isinstance(body, bytes):
            headers["Content-Type"] = XLSX
            data = body
        else:
            data = json.dumps(body if body is not None else {}, ensure_ascii=False).encode()
        query = urlencode(params)
        fn = getattr(self.client.http, method.lower())
        return self._reply(fn(path + (f"?{query}" if query else ""), headers=headers, body=data))

    def post(self, path: str, who: Any = None, body: Any = None, **params: Any) -> Reply:
        return self.send("POST", path, who, body, **params)

    def patch(self, path: str, who: Any = None, body: Any = None, **params: Any) -> Reply:
        return self.send("PATCH", path, who, body, **params)


@pytest.fixture()
def http(client: Any) -> Http:
    return Http(client)


@pytest.fixture()
def staff(persona: Any) -> Any:
    return persona("association_staff", "110000", username="bj_staff")


@pytest.fixture()
def sent_mail(aws: Any) -> Any:
    """The e-mails moto's SES has accepted so far, as (to, subject, body) tuples."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    def _sent() -> list[tuple[list[str], str, str]]:
        backend = ses_backends[DEFAULT_ACCOUNT_ID][aws.settings.region]
        return [(m.destinations.get("ToAddresses", []), m.subject, m.body) for m in backend.sent_messages]

    return _sent
