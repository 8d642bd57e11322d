"""The local stage's environment: resource names, loopback endpoint and freshly made keys."""

from __future__ import annotations

import secrets


def local_environment(moto_port: int, web_port: int) -> dict[str, str]:
    from chalicelib.cert.signing import make_self_signed

    key_pem, cert_pem = make_self_signed("CPA e-certificate local sample signer (not a real seal)")
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **resource_names(),
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "TOKEN_KEY": secrets.token_urlsafe(48),
        "VERIFY_KEY": secrets.token_urlsafe(48),
        "SIGNING_KEY_PEM": key_pem,
        "SIGNING_CERT_PEM": cert_pem,
        "FACE_ENGINE": "dlib",
        "ALLOW_SAMPLE_SEAL": "true",
    }


def resource_names(prefix: str = "cpa-ecert-local") -> dict[str, str]:
    return {
        "MEMBERS_TABLE": f"{prefix}-members",
        "ACCOUNTS_TABLE": f"{prefix}-accounts",
        "AUDIT_TABLE": f"{prefix}-audit",
        "COUNTERS_TABLE": f"{prefix}-counters",
        "EPHEMERAL_TABLE": f"{prefix}-ephemeral",
        "APPLICATIONS_TABLE": f"{prefix}-applications",
        "UPLOADS_TABLE": f"{prefix}-uploads",
        "PHOTO_BUCKET": f"{prefix}-photos",
        "PHOTO_QUEUE": f"{prefix}-photo-checks",
        "JOBS_QUEUE": f"{prefix}-jobs",
        "MAIL_SENDER": "no-reply@ecert.example.com",
    }
