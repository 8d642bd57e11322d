"""Token revocation: a jti denylist in the TTL table, and per-account cut-off times."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.auth.repository import DYNAMO, AuthRepository
from chalicelib.auth.tokens import TokenClaims


def revoke(claims_jti: str, exp: int, *, repo: AuthRepository = DYNAMO) -> None:
    repo.put_item(f"deny#{claims_jti}", {"revoked": True}, datetime.fromtimestamp(exp + 60, timezone.utc))


def is_token_live(claims: TokenClaims, *, repo: AuthRepository = DYNAMO) -> bool:
    if repo.get_item(f"deny#{claims.jti}", consistent=False) is not None:
        return False
    account = repo.get_account(claims.sub, consistent=False)
    if account is None:
        return False
    return not account.disabled and claims.iat >= int(account.tokens_valid_after or 0)
