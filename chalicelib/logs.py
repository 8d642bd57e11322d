"""Structured JSON log lines with the request id, for every function of the app.

In Lambda the Python runtime has already given the root logger a plain-text handler before our
code runs, so `logging.basicConfig` is a no-op there and INFO lines were dropped. `setup()`
replaces the root logger's handlers with one that writes one JSON object per line to stdout
(CloudWatch keeps each line as an event and Logs Insights parses the fields). It is called by
every entry point (`app.py`, the token authorizer) and is idempotent.

Why not Powertools' Logger: this file is all we need from it (a JSON formatter and a request id),
it adds nothing to the package and ~1 ms to the cold start; see docs/architecture.md
("Observability"). The field names follow Powertools' (`level`, `message`, `service`,
`function_request_id`) so dashboards work with either.

Personal data stays out of the lines: messages are written to carry ids and counts only, and as
a second line of defence `scrub` masks anything shaped like an e-mail address, a mainland mobile
number or a resident ID number. Exceptions are logged with their type and stack, not their text
(which may quote what a member typed).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import time
import traceback
from typing import Any, Iterator

from chalicelib import config

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"            # e-mail address
    r"|(?<!\d)\d{17}[\dXx](?!\d)"               # resident ID number
    r"|(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"  # mainland mobile number
)


def scrub(text: str) -> str:
    """`text` with e-mail addresses, ID numbers and mobile numbers masked."""
    return _PERSONAL.sub("***", text)


def current_request_id() -> str:
    return _request_id.get()


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[None]:
    """Every line logged inside carries `request_id` (the Lambda invocation's id)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def request_id_of(context: Any) -> str:
    """The invocation id from a Lambda context object (or "" when there is none)."""
    return str(getattr(context, "aws_request_id", "") or "")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "function_request_id": _request_id.get(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exception_name"] = record.exc_info[0].__name__
            line["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, ensure_ascii=False)


class _StdoutHandler(logging.Handler):
    """Writes to whatever `sys.stdout` is at the time (Lambda and test capture both swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # a logging failure must never fail the request
            self.handleError(record)


def setup() -> None:
    """Make the root logger write JSON lines at the configured level (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h, _StdoutHandler) for h in root.handlers):
        return
    for handler in list(root.handlers):
        if not type(handler).__module__.startswith("_pytest"):  # keep pytest's capture
            root.removeHandler(handler)  # the runtime's plain-text handler, or basicConfig's
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter(config.service_name()))
    root.addHandler(handler)
    root.setLevel(config.log_level())
    for noisy in ("pynamodb", "botocore", "boto3", "urllib3"):  # their INFO is about set-up
        logging.getLogger(noisy).setLevel(logging.WARNING)
