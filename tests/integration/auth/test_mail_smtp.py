"""The `smtp` mail adapter (the AWS China stage has no SES): a password-reset mail reaches the
local stack's SMTP server over real HTTP, and the adapter itself against that server directly."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from chalicelib.config import Settings, SettingsError
from chalicelib.errors import ServiceUnavailable
from chalicelib.mail import SesMailer, SmtpMailer, build_mailer
from devstack.smtp import LocalSmtp
from tests.e2e.conftest import start_stack

ROOT = Path(__file__).resolve().parents[3]
CAPTCHA = "TEST"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def _call(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def smtp_stack() -> Iterator[dict[str, str]]:
    with start_stack({"CAPTCHA_TEST_CODE": CAPTCHA, "MAIL_ADAPTER": "smtp"}, drop=("AWS_", "SMTP_")) as stack:
        yield {"api": stack.api, "web": stack.web, "banner": "".join(stack.output)}


def test_password_reset_mail_reaches_the_local_smtp_server(smtp_stack):
    assert "MAIL_ADAPTER=smtp" in smtp_stack["banner"]
    # A demo member of the Beijing association with an e-mail on file (devstack/demo.py).
    member_no = re.search(r"\b(110000\d{6})\b", smtp_stack["banner"]).group(1)  # type: ignore[union-attr]
    captcha = _call(smtp_stack["api"] + "/auth/captcha")
    answer = _call(smtp_stack["api"] + "/auth/password/forgot", {
        "user_type": "member", "username": member_no,
        "captcha_id": captcha["captcha_id"], "captcha_code": CAPTCHA})
    assert "message" in answer
    deadline = time.time() + 20
    mails: list[dict[str, Any]] = []
    while time.time() < deadline and not mails:
        mails = [m for m in _call(smtp_stack["web"] + "/_dev/mail.json") if m["via"] == "smtp"]
        time.sleep(0.2)
    [mail] = mails
    assert len(mail["to"]) == 1 and mail["to"][0].endswith("@example.com")
    assert "找回密码" in mail["subject"] and member_no in mail["body"]
    assert re.search(r"验证码:(\d{6})", mail["body"])
    with urllib.request.urlopen(smtp_stack["web"] + "/_dev/mail", timeout=10) as resp:
        assert member_no in resp.read().decode()


def _settings(**env: str) -> Settings:
    return Settings.from_env({**os.environ, **env})


@pytest.fixture()
def smtp_server() -> Iterator[LocalSmtp]:
    server = LocalSmtp().start()
    try:
        yield server
    finally:
        server.stop()


def test_smtp_adapter_logs_in_and_sends_utf8(smtp_server):
    mailer = build_mailer(_settings(MAIL_ADAPTER="smtp", **smtp_server.environment()))
    assert isinstance(mailer, SmtpMailer)
    mailer.send("member.one@example.com", "会员证书系统 验证码", "您的验证码:123456")
    [mail] = smtp_server.mailbox.mails()
    assert mail["to"] == ["member.one@example.com"]
    assert mail["subject"] == "会员证书系统 验证码" and "您的验证码:123456" in mail["body"]


def test_smtp_adapter_wrong_password_is_a_503_without_the_address(smtp_server, caplog):
    env = smtp_server.environment()
    env["SMTP_SECRET"] = json.dumps({"username": smtp_server.username, "password": "wrong"})
    mailer = build_mailer(_settings(MAIL_ADAPTER="smtp", **env))
    with pytest.raises(ServiceUnavailable) as err:
        mailer.send("member.one@example.com", "s", "t")
    assert err.value.code == "MAIL_UNAVAILABLE" and "邮件" in err.value.message
    assert smtp_server.mailbox.mails() == []
    assert "member.one" not in caplog.text


def test_ses_stays_the_default_adapter():
    assert isinstance(build_mailer(_settings()), SesMailer)


def test_smtp_settings_are_checked_at_start():
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        _settings(MAIL_ADAPTER="smtp", SMTP_SECRET="{}")
    with pytest.raises(SettingsError, match="loopback"):
        _settings(MAIL_ADAPTER="smtp", SMTP_HOST="smtp.example.cn", SMTP_SECURITY="none", SMTP_SECRET="{}")
    with pytest.raises(SettingsError, match="MAIL_ADAPTER"):
        _settings(MAIL_ADAPTER="sendmail")
    s = _settings(MAIL_ADAPTER="smtp", SMTP_HOST="smtp.example.cn", SMTP_PORT="587", SMTP_SECRET="{}")
    assert (s.smtp.port, s.smtp.security) == (587, "starttls")
    s = _settings(MAIL_ADAPTER="smtp", SMTP_HOST="smtp.example.cn", SMTP_SECRET="{}")
    assert (s.smtp.port, s.smtp.security) == (465, "ssl")
