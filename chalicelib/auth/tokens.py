"""Short-lived signed access tokens (PyJWT, HS256 pinned).

Claims: sub (account id), role, assoc, mno (member number for members), mcp (must change
password), iat, exp, jti. Verification pins the algorithm (so `alg: none` and key-confusion
tricks fail), requires every claim, and leaves revocation (jti denylist, password changes) to
the authorizer, which has the storage.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "cpa-ecert"
_REQUIRED = ["sub", "role", "assoc", "iat", "exp", "jti", "iss"]


@dataclass(frozen=True)
class TokenClaims:
    sub: str
    role: str
    association: str
    member_no: str
    must_change_password: bool
    iat: int
    exp: int
    jti: str


def issue(key: str, *, sub: str, role: str, association: str, member_no: str = "",
          must_change_password: bool = False, ttl_seconds: int = 1800,
          now: float | None = None) -> tuple[str, TokenClaims]:
    iat = int(now if now is not None else time.time())
    claims = TokenClaims(sub=sub, role=role, association=association, member_no=member_no,
                         must_change_password=must_change_password, iat=iat, exp=iat + ttl_seconds,
                         jti=uuid.uuid4().hex)
    payload: dict[str, Any] = {
        "sub": sub, "role": role, "assoc": association, "mno": member_no,
        "mcp": must_change_password, "iat": claims.iat, "exp": claims.exp, "jti": claims.jti,
        "iss": ISSUER,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def decode(key: str, token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token signed with `key`; None for anything else."""
    try:
        p = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                       options={"require": _REQUIRED}, leeway=5)
    except jwt.PyJWTError:
        return None
    return TokenClaims(sub=str(p["sub"]), role=str(p["role"]), association=str(p["assoc"]),
                       member_no=str(p.get("mno") or ""), must_change_password=bool(p.get("mcp")),
                       iat=int(p["iat"]), exp=int(p["exp"]), jti=str(p["jti"]))
