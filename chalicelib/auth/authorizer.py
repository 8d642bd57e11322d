"""The API Gateway token authorizer shared by every protected route.

It checks the signature and expiry, the jti denylist (logout) and the account's
`tokens_valid_after` (password change/reset, disabled account), and passes role, association
and member number to the route as the principal. Results are not cached by API Gateway
(ttl_seconds=0), so a revoked token stops working at once.
"""

from __future__ import annotations

import logging

from chalice import AuthResponse, Blueprint

from chalicelib.auth import revocation, tokens
from chalicelib.bootstrap import deps

log = logging.getLogger(__name__)

blueprint = Blueprint(__name__)


def _bearer(raw: str | None) -> str:
    raw = (raw or "").strip()
    return raw[7:].strip() if raw[:7].lower() == "bearer " else ""


@blueprint.authorizer(ttl_seconds=0, name="token_authorizer")
def token_authorizer(auth_request):  # type: ignore[no-untyped-def]
    deny = AuthResponse(routes=[], principal_id="anonymous")
    try:
        d = deps()
        claims = tokens.decode(d.settings.token_key, _bearer(auth_request.token))
        if claims is None or not revocation.is_token_live(claims, repo=d.auth_store):
            return deny
    except Exception:  # storage down: deny rather than fail open
        log.exception("authorizer failure")
        return deny
    return AuthResponse(routes=["*"], principal_id=claims.sub, context={
        "role": claims.role,
        "association": claims.association,
        "member_no": claims.member_no,
        "must_change_password": "true" if claims.must_change_password else "false",
        "jti": claims.jti,
        "exp": str(claims.exp),  # API Gateway hands context values over as strings
    })
