"""Verification codes printed (as a QR code) on every certificate.

Why it exists: anyone holding a printed certificate can scan its QR code and open
`<site>/verify/?no=<member_no>&c=<code>`. The code must be impossible to guess or forge for
another member or another date, so it is a keyed MAC (HMAC-SHA256, key from configuration
`VERIFY_KEY`), never something derived from public data alone.

What is signed, and why: the certificate's identity is the member number plus its issue date.
The code carries the issue date (2 bytes, days since 2000-01-01) next to a 104-bit MAC over
`member_no | issue date`, so that

* the verification endpoint can tell *which* issue was scanned and show its issue date without
  storing every certificate ever issued;
* re-issuing a certificate (new issue date, e.g. after a correction) does NOT invalidate earlier
  printouts: they are genuine certificates issued on their date. Whether a member's certificate
  counts as valid is decided live from the membership status (suspended/cancelled → not valid),
  and a policy such as "only issues on or after D are valid" can be applied to the returned date;
* two codes for the same member and day are identical (rendering stays deterministic).

Format: 15 bytes → 24 characters of RFC 4648 base32 without padding (A-Z, 2-7; accepted in
either case), short enough for a small QR code. The message is domain-separated with a version
tag, so a future format can coexist. Comparison is constant-time (`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from datetime import date, timedelta
from hashlib import sha256
from urllib.parse import urlencode

_EPOCH = date(2000, 1, 1)
_MAC_BYTES = 13  # 104 bits
_CODE_LEN = 24  # base32 characters for 2 + 13 bytes
_VERSION_TAG = b"cicpa-nonpractising-cert/v1"
_CODE_RE = re.compile(r"[A-Za-z2-7]{24}")


def _mac(key: str, member_no: str, issued_on: date) -> bytes:
    if not key:
        raise ValueError("verification key is empty")
    message = b"|".join((_VERSION_TAG, member_no.encode("utf-8"), issued_on.isoformat().encode("ascii")))
    return hmac.new(key.encode("utf-8"), message, sha256).digest()[:_MAC_BYTES]


def sign_code(key: str, member_no: str, issued_on: date) -> str:
    """The verification code of the certificate issued to `member_no` on `issued_on`."""
    days = (issued_on - _EPOCH).days
    if not 0 <= days <= 0xFFFF:
        raise ValueError(f"issue date out of range: {issued_on}")
    raw = days.to_bytes(2, "big") + _mac(key, member_no, issued_on)
    return base64.b32encode(raw).decode("ascii")


def read_code(key: str, member_no: str, code: str) -> date | None:
    """The issue date a genuine code for `member_no` carries, or None if the code is not genuine."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        return None
    try:
        raw = base64.b32decode(code.upper())
    except (binascii.Error, ValueError):
        return None
    issued_on = _EPOCH + timedelta(days=int.from_bytes(raw[:2], "big"))
    if not hmac.compare_digest(raw[2:], _mac(key, member_no, issued_on)):
        return None
    return issued_on


def verification_url(site_url: str, member_no: str, code: str) -> str:
    """`<site>/verify/?no=<member_no>&c=<code>`, the URL the certificate's QR code opens."""
    return f"{site_url.rstrip('/')}/verify/?{urlencode({'no': member_no, 'c': code})}"
