"""The API starts, and signs members in, before the signing certificate is in SSM: each secret is
read on first use, and a certificate asked for meanwhile is a clear 503."""

from __future__ import annotations

import os

import boto3

from chalicelib.bootstrap import deps
from chalicelib.config import Settings

PDF = {"Accept": "application/pdf"}


def _stage_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TOKEN_KEY", "VERIFY_KEY", "SIGNING_KEY_PEM", "SIGNING_CERT_PEM")}
    env.update({f"{name}_PARAM": f"/cpa-ecert/test/{name.lower()}"
                for name in ("TOKEN_KEY", "VERIFY_KEY", "SIGNING_KEY_PEM", "SIGNING_CERT_PEM")})
    return env


def test_settings_read_no_secret_at_start_and_each_once_on_use(aws, monkeypatch):
    ssm = boto3.client("ssm", region_name=aws.settings.region)
    ssm.put_parameter(Name="/cpa-ecert/test/token_key", Value="k" * 48, Type="SecureString")
    calls: list[str] = []
    real = boto3.client

    def counting(service, *a, **k):
        client = real(service, *a, **k)
        original = client.get_parameter

        def get_parameter(**kw):
            calls.append(kw["Name"])
            return original(**kw)

        client.get_parameter = get_parameter
        return client

    monkeypatch.setattr(boto3, "client", counting)
    settings = Settings.from_env(_stage_env())  # no signing certificate in SSM yet
    assert calls == []
    assert settings.token_key == "k" * 48 and settings.token_key == "k" * 48
    assert calls == ["/cpa-ecert/test/token_key"]


def test_sign_in_works_and_a_certificate_is_a_503_until_the_signing_certificate_exists(
        aws, client, persona, with_photo, monkeypatch):
    ssm = boto3.client("ssm", region_name=aws.settings.region)
    for name in ("token_key", "verify_key"):
        ssm.put_parameter(Name=f"/cpa-ecert/test/{name}", Value=getattr(aws.settings, name), Type="SecureString")
    monkeypatch.setattr(deps(), "settings", Settings.from_env(_stage_env()))
    m = with_photo()
    me = persona("member", "110000", member_no=m.member_no)
    assert client.http.get("/me", headers=me.headers).status_code == 200
    r = client.http.get("/me/certificate", headers={**me.headers, **PDF})
    assert r.status_code == 503 and r.json_body["code"] == "SIGNING_UNAVAILABLE"
    assert "签名服务暂时不可用" in r.json_body["message"] and "BEGIN" not in r.body.decode()
