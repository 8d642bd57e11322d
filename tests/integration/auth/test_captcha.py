"""Captchas: served as a PNG data URL, single use, five minutes, and the test code only when set."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.auth import captcha
from chalicelib.auth.captcha import CaptchaInvalid
from chalicelib.auth.models import EphemeralModel
from tests.conftest import ROOT


def test_route_returns_only_id_and_png_image(client):
    r = client.http.get("/auth/captcha")
    assert r.status_code == 200
    body = r.json_body
    assert set(body) == {"captcha_id", "image"}
    assert body["image"].startswith("data:image/png;base64,")
    png = base64.b64decode(body["image"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # Only a keyed hash is stored, never the answer.
    stored = EphemeralModel.get(f"captcha#{body['captcha_id']}")
    assert set(stored.data.as_dict()) == {"h"}
    assert stored.expires_at - datetime.now(timezone.utc) <= timedelta(minutes=5)


def test_right_answer_passes_once_then_never_again(aws):
    captcha_id, answer, _ = captcha.create(_settings())
    captcha.verify(_settings(), captcha_id, answer.lower())  # case-insensitive
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, answer)


def test_wrong_answer_consumes_the_captcha(aws):
    captcha_id, answer, _ = captcha.create(_settings())
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, "0000")
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, answer)


def test_expired_captcha_is_refused(aws):
    captcha_id, answer, _ = captcha.create(_settings())
    item = EphemeralModel.get(f"captcha#{captcha_id}")
    item.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    item.save()  # DynamoDB deletes expired items lazily: readers must check
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, answer)


def test_malformed_or_unknown_captcha_is_refused(aws):
    live_id, _, _ = captcha.create(_settings())
    for captcha_id, code in ((None, "ABCD"), ("", "ABCD"), (live_id, None), (live_id, "A" * 17),
                             ("x" * 65, "ABCD"), ("unknown-id", "ABCD")):
        with pytest.raises(CaptchaInvalid):
            captcha.verify(_settings(), captcha_id, code)


def test_test_code_is_accepted_only_when_configured(aws, monkeypatch):
    assert aws.settings.captcha_test_code == ""
    captcha_id, _, _ = captcha.create(_settings())
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, "TEST")

    monkeypatch.setattr(aws, "settings", replace(aws.settings, captcha_test_code="TEST"))
    captcha_id, _, _ = captcha.create(_settings())
    captcha.verify(_settings(), captcha_id, "test")
    # ...but still only for a live captcha, and still single use.
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), captcha_id, "TEST")
    with pytest.raises(CaptchaInvalid):
        captcha.verify(_settings(), "never-issued", "TEST")


def test_test_code_setting_is_read_from_the_environment():
    import os

    from chalicelib.config import Settings

    env = dict(os.environ)
    env.pop("CAPTCHA_TEST_CODE", None)
    assert Settings.from_env(env).captcha_test_code == ""
    assert Settings.from_env({**env, "CAPTCHA_TEST_CODE": " TEST "}).captcha_test_code == "TEST"


def test_no_deployed_stage_sets_the_captcha_test_code():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    envs = [config.get("environment_variables", {})]
    envs += [stage.get("environment_variables", {}) for stage in config.get("stages", {}).values()]
    for lam in [lf for stage in config.get("stages", {}).values()
                for lf in stage.get("lambda_functions", {}).values()]:
        envs.append(lam.get("environment_variables", {}))
    assert all("CAPTCHA_TEST_CODE" not in env for env in envs)
    # Nor any other deployment file (IaC templates, policies).
    deploy_files = [p for d in (ROOT / ".chalice", ROOT / "infra") if d.exists()
                    for p in d.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml", ".py")]
    offenders = [str(p.relative_to(ROOT)) for p in deploy_files
                 if "CAPTCHA_TEST_CODE" in p.read_text(encoding="utf-8", errors="replace")]
    assert offenders == []


def _settings():  # the settings the app under test was wired with
    from chalicelib.bootstrap import deps

    return deps().settings
