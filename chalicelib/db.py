"""What every room's PynamoDB models share: the base class, binding to tables, time stamps and
the one reading of DynamoDB's "condition failed" answer.

Each room declares its own models (members, auth, photo, cert) on `BaseModel` with a
`table_setting`: the name of the `Settings.tables` attribute that holds its table. Models register
themselves when their module is imported; `bind(settings)` points every registered model (and
any registered later) at its table once per cold start, so no model reads the environment at
import time and the wiring module never needs to import a room's models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from chalicelib.config import Settings

_REGISTERED: list[type[BaseModel]] = []
_BOUND: list[Settings] = []


def utcnow_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def condition_failed(exc: BaseException) -> bool:
    """True when a conditional write (version check, "does not exist", ...) lost, as opposed to
    any other storage failure."""
    if not isinstance(exc, PynamoDBException):
        return False
    return exc.cause_response_code == "ConditionalCheckFailedException"


class BaseModel(Model):
    """A table model; `table_setting` names its `Settings.tables` attribute."""

    table_setting: ClassVar[str] = ""

    class Meta:
        abstract = True
        table_name = "unbound"
        region = "us-east-1"
        host: str | None = None  # the local endpoint (moto), if any
        billing_mode = "PAY_PER_REQUEST"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.table_setting:
            _REGISTERED.append(cls)
            if _BOUND:
                _bind_one(cls, _BOUND[-1])


def _bind_one(model: type[BaseModel], settings: Settings) -> None:
    model.Meta.table_name = getattr(settings.tables, model.table_setting)
    model.Meta.region = settings.region
    model.Meta.host = settings.endpoint_url or None
    model._connection = None  # PynamoDB caches the connection per class


def bind(settings: Settings) -> None:
    """Point every model, now and later registered, at its configured table."""
    _BOUND[:] = [settings]
    for model in _REGISTERED:
        _bind_one(model, settings)


def registered() -> list[type[BaseModel]]:
    """The models imported so far, in registration order."""
    return list(_REGISTERED)
