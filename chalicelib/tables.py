"""The table catalogue: which room's model declares each table.

Used where every table is needed at once: creating them (local stack and tests; the cloud uses
infra/) and checking the CloudFormation template against the models. The application itself
never needs it.
"""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib.auth.models import AccountModel, EphemeralModel
from chalicelib.db import BaseModel
from chalicelib.members.models import ApplicationModel, AuditModel, CounterModel, MemberModel
from chalicelib.photo.models import UploadModel

ALL_MODELS: dict[str, type[BaseModel]] = {
    "members": MemberModel,
    "accounts": AccountModel,
    "audit": AuditModel,
    "counters": CounterModel,
    "ephemeral": EphemeralModel,
    "applications": ApplicationModel,
    "uploads": UploadModel,
}


def create_tables() -> None:
    """Create every table with its indexes and TTL (on models already bound to their tables)."""
    for model in ALL_MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    ttl_client: Any = boto3.client("dynamodb", region_name=EphemeralModel.Meta.region,
                                   endpoint_url=EphemeralModel.Meta.host)
    ttl_client.update_time_to_live(
        TableName=EphemeralModel.Meta.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
