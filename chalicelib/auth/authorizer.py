"""The API Gateway token authorizer shared by every protected route.

It checks the signature and expiry, the jti denylist (logout) and the account's
`tokens_valid_after` (password change/reset, disabled account), and passes role, association
and member number to the route as the principal. Results are not cached by API Gateway
(ttl_seconds=0), so a revoked token stops working at once.

Two kinds of deny are told apart in the logs and metrics: an invalid, expired or revoked token
(`AuthorizerTokenInvalid`, normal traffic) and a check that could not be made because SSM or
DynamoDB failed (`AuthorizerCheckFailed`, an outage that would otherwise look like everybody
being signed out; the stack alarms on it). Both deny: the authorizer never fails open.

This module is light on purpose: route modules import it while `app.py` loads, so PyJWT and
PynamoDB are imported on the first call, not at import.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import AuthResponse, Blueprint
from chalice.app import ChaliceAuthorizer

from chalicelib import logs, metrics
from chalicelib.bootstrap import deps

logs.setup()
log = logging.getLogger(__name__)

blueprint = Blueprint(__name__)


def _bearer(raw: str | None) -> str:
    raw = (raw or "").strip()
    return raw[7:].strip() if raw[:7].lower() == "bearer " else ""


@blueprint.authorizer(ttl_seconds=0, name="token_authorizer")
def token_authorizer(auth_request):  # type: ignore[no-untyped-def]
    deny = AuthResponse(routes=[], principal_id="anonymous")
    try:
        from chalicelib.auth import revocation, tokens

        d = deps()
        claims = tokens.decode(d.settings.token_key, _bearer(auth_request.token))
        live = claims is not None and revocation.is_token_live(claims, repo=d.auth_store)
    except Exception as exc:  # SSM or DynamoDB down: deny rather than fail open, and say so
        log.error("authorizer could not check the token: %s", type(exc).__name__, exc_info=True)
        metrics.count(metrics.AUTHORIZER_CHECK_FAILED)
        return deny
    if claims is None or not live:
        log.info("authorizer denied an invalid, expired or revoked token")
        metrics.count(metrics.AUTHORIZER_TOKEN_INVALID)
        return deny
    return AuthResponse(routes=["*"], principal_id=claims.sub, context={
        "role": claims.role,
        "association": claims.association,
        "member_no": claims.member_no,
        "must_change_password": "true" if claims.must_change_password else "false",
        "jti": claims.jti,
        "exp": str(claims.exp),  # API Gateway hands context values over as strings
    })


class _RequestIdAuthorizer(ChaliceAuthorizer):
    """Chalice calls an authorizer without its Lambda context; this keeps the invocation id for
    the log lines of the call."""

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with logs.request_scope(logs.request_id_of(context)):
            return super().__call__(event, context)


if isinstance(token_authorizer, ChaliceAuthorizer):
    token_authorizer.__class__ = _RequestIdAuthorizer
