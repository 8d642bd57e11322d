"""Password hashing (argon2id) and the password policy.

Parameters are argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4), above OWASP's
minimum for argon2id (m=19 MiB, t=2, p=1). The policy follows NIST SP 800-63B: length >= 8,
not a common password, no composition rules.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from chalicelib.errors import ValidationFailed

_HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)

# A hash of a random password: verifying against it costs the same as a real check, so an
# unknown username takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 8
MAX_LENGTH = 128

# The most common passwords in public breach corpora, plus the local obvious ones.
COMMON_PASSWORDS = frozenset("""
123456 123456789 12345678 password qwerty123 qwerty 1234567890 1234567 111111 123123 abc123
password1 1q2w3e4r 1q2w3e4r5t qwertyuiop 000000 iloveyou 1qaz2wsx 11111111 88888888 66666666
12341234 987654321 123321 666666 888888 a123456 a1234567 aa123456 abcd1234 woaini1314 5201314
qazwsx123 zxcvbnm123 asdfghjkl p@ssw0rd passw0rd password123 admin123 administrator welcome1
letmein1 sunshine princess football baseball dragon master monkey shadow superman 123qwe123
qwe123456 q1w2e3r4 q1w2e3r4t5 1a2b3c4d 12qwaszx abcdefgh abcdefg1 11223344 123654789 147258369
159357456 00000000 12121212 99999999 123456abc abc12345 changeme welcome123 demo2026 cicpa123
cicpa2026 kuaiji123 zhuce123 zhucekuaiji
""".split())


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def usable_hash(password_hash: str | None) -> bool:
    """Whether a stored hash can ever verify (imported accounts hold a marker until a password is set)."""
    return bool(password_hash) and str(password_hash).startswith("$argon2")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check: an unknown account, or one without a usable hash (imported, not yet
    set), still spends one full verification against a real hash with the same parameters, so
    the answer time does not tell these accounts apart from a wrong password."""
    usable = usable_hash(password_hash)
    try:
        ok = _HASHER.verify(password_hash if usable else _DUMMY_HASH, password)  # type: ignore[arg-type]
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok) and usable


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def check_policy(password: str, *, username: str = "") -> None:
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"密码长度至少为{MIN_LENGTH}位"
    elif len(password) > MAX_LENGTH:
        problem = f"密码长度不能超过{MAX_LENGTH}位"
    elif password.lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        problem = "该密码过于常见,容易被猜中,请换一个"
    elif username and username.lower() in password.lower():
        problem = "密码不能包含用户名"
    if problem:
        raise ValidationFailed(problem, code="WEAK_PASSWORD",
                               errors=[{"key": "new_password", "label": "新密码", "message": problem}])


def generate_initial_password() -> str:
    """A random initial password that is easy to type from a screen: 12 chars, no look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))
