"""Image captchas: single use, five minutes, stored only as a keyed hash in the TTL table.

Images come from the `captcha` library (a maintained generator with its own bundled font).
`CAPTCHA_TEST_CODE` (local stack only, for automated browser tests) is accepted as the answer to
any live captcha; no deployed stage sets it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta, timezone

from captcha.image import ImageCaptcha

from chalicelib.auth.repository import DYNAMO, AuthRepository
from chalicelib.config import Settings
from chalicelib.errors import BadRequest

TTL = timedelta(minutes=5)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
LENGTH = 4

_IMAGE = ImageCaptcha(width=150, height=56)


class CaptchaInvalid(BadRequest):
    code = "CAPTCHA_INVALID"
    message = "验证码错误或已过期,请重新输入"


def _digest(settings: Settings, captcha_id: str, answer: str) -> str:
    key = settings.token_key.encode()
    return hmac.new(key, f"{captcha_id}:{answer.strip().upper()}".encode(), hashlib.sha256).hexdigest()


def create(settings: Settings, *, repo: AuthRepository = DYNAMO) -> tuple[str, str, str]:
    """(captcha_id, answer, PNG data URL). Routes return only the id and the image."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    captcha_id = uuid.uuid4().hex
    repo.put_item(f"captcha#{captcha_id}", {"h": _digest(settings, captcha_id, answer)},
                  datetime.now(timezone.utc) + TTL)
    png = _IMAGE.generate(answer, format="png").getvalue()
    return captcha_id, answer, "data:image/png;base64," + base64.b64encode(png).decode()


def verify(settings: Settings, captcha_id: str | None, code: str | None, *,
           repo: AuthRepository = DYNAMO) -> None:
    """Consume the captcha; raise CaptchaInvalid unless `code` answers it (or is the test code)."""
    if not captcha_id or not code or len(captcha_id) > 64 or len(code) > 16:
        raise CaptchaInvalid()
    stored = repo.get_item(f"captcha#{captcha_id}")
    # Single use even under concurrent submissions: only the request that deletes it wins.
    if stored is None or not repo.take_item(f"captcha#{captcha_id}"):
        raise CaptchaInvalid()
    if stored.expired():
        raise CaptchaInvalid()
    test_code = settings.captcha_test_code
    if test_code and hmac.compare_digest(code.strip().upper().encode(), test_code.strip().upper().encode()):
        return
    if not hmac.compare_digest(stored.data["h"], _digest(settings, captcha_id, code)):
        raise CaptchaInvalid()
