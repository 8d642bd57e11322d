"""The certificate room's DynamoDB model (PynamoDB): bulk-download jobs.

Jobs are short-lived, so they live in the TTL table of short-lived items under keys of their own
("bulkcert#<id>"); the table itself is declared by the auth room's model, this model only reads
and writes the certificate room's items in it. Rendered certificates are cached in S3, not here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import MapAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.db import BaseModel


class JobModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # "<kind>#<id>"
    data: MapAttribute[str, Any] = MapAttribute(default=dict)
    expires_at = TTLAttribute()

    def expired(self) -> bool:
        return self.expires_at <= datetime.now(timezone.utc)
