"""Token revocation: a jti denylist in the TTL table, and per-account cut-off times."""

from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth.models import AccountModel, EphemeralModel
from chalicelib.auth.tokens import TokenClaims


def revoke(claims_jti: str, exp: int) -> None:
    EphemeralModel(f"deny#{claims_jti}", data={"revoked": True},
                   expires_at=datetime.fromtimestamp(exp + 60, timezone.utc)).save()


def is_token_live(claims: TokenClaims) -> bool:
    try:
        EphemeralModel.get(f"deny#{claims.jti}")
        return False
    except DoesNotExist:
        pass
    try:
        account = AccountModel.get(claims.sub)
    except DoesNotExist:
        return False
    return not account.disabled and claims.iat >= int(account.tokens_valid_after or 0)
