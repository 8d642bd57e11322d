"""The auth room's DynamoDB models (PynamoDB): accounts and short-lived items.

- accounts: credentials and sign-in state, kept apart from the member profile.
- ephemeral: short-lived items (captchas, reset codes, revoked tokens, rate-limit windows) with a
  TTL attribute; readers also check the expiry, since DynamoDB deletes expired items lazily.
  The certificate room keeps its bulk jobs in the same table through a model of its own.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.db import BaseModel, utcnow_iso

# -- accounts -----------------------------------------------------------------------------------

class AccountModel(BaseModel):
    """Credentials, apart from the profile. Key: "member:<member_no>" or "staff:<username>"."""
    table_setting = "accounts"


    class Meta(BaseModel.Meta):
        pass

    account_id = UnicodeAttribute(hash_key=True)
    user_type = UnicodeAttribute()  # member | staff
    username = UnicodeAttribute()
    role = UnicodeAttribute()  # member | association_staff | national_staff
    association = UnicodeAttribute()
    member_no = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(default="")
    email = UnicodeAttribute(null=True)  # staff only; members' e-mail lives in the profile
    password_hash = UnicodeAttribute()
    must_change_password = BooleanAttribute(default=False)
    disabled = BooleanAttribute(default=False)
    # Tokens issued before this instant (epoch seconds) are void: set on password change/reset.
    tokens_valid_after = NumberAttribute(default=0)
    created_at = UnicodeAttribute(default=utcnow_iso)
    updated_at = UnicodeAttribute(default=utcnow_iso)

    @staticmethod
    def key(user_type: str, username: str) -> str:
        return f"{user_type}:{username}"


# -- short-lived items --------------------------------------------------------------------------

class EphemeralModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # "<kind>#<id>"
    data: MapAttribute[str, Any] = MapAttribute(default=dict)
    expires_at = TTLAttribute()

    def expired(self) -> bool:
        return self.expires_at <= datetime.now(timezone.utc)
