"""Typed, frozen settings read once from the stage's environment.

Every deployed stage (see `.chalice/config.json`) and the local stack set the same variables;
code never branches on a stage name. A missing required variable fails at start with its name,
not at the first request that happens to need it. Secrets are either given directly (local stack,
tests) or named as SSM parameters (`*_PARAM`). A secret is read from SSM the first time it is
used, once per cold start: the API must start (and sign members in) before the CA-signed
certificate exists, so the signing key and certificate are fetched only when a certificate is
rendered, and a function never reads a secret it does not use.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

DEFAULT_SUPPORT_PHONE = "010-88250337/0338"


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


def _req(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"missing required setting {name}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise SettingsError(f"setting {name} must be a number, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


@dataclass(frozen=True)
class FaceSettings:
    """Face engine choice and its three bands (accept / staff review / reject).

    dlib reports a Euclidean distance between embeddings (smaller = more alike); Rekognition
    reports a similarity in percent (larger = more alike). Each engine has its own two cuts.
    Defaults are conservative: the shared fixtures measure same-person 0.32-0.53 and
    different-person >= 0.67 with dlib.
    """

    engine: str = "dlib"
    dlib_accept_max_distance: float = 0.55
    dlib_review_max_distance: float = 0.62
    rekognition_accept_min_similarity: float = 95.0
    rekognition_review_min_similarity: float = 80.0
    max_failed_attempts: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "FaceSettings":
        env = os.environ if env is None else env
        engine = env.get("FACE_ENGINE", "dlib").strip() or "dlib"
        if engine not in ("dlib", "rekognition"):
            raise SettingsError(f"FACE_ENGINE must be dlib or rekognition, got {engine!r}")
        return cls(
            engine=engine,
            dlib_accept_max_distance=_float(env, "FACE_DLIB_ACCEPT_MAX_DISTANCE", cls.dlib_accept_max_distance),
            dlib_review_max_distance=_float(env, "FACE_DLIB_REVIEW_MAX_DISTANCE", cls.dlib_review_max_distance),
            rekognition_accept_min_similarity=_float(
                env, "REKOGNITION_ACCEPT_MIN_SIMILARITY", cls.rekognition_accept_min_similarity
            ),
            rekognition_review_min_similarity=_float(
                env, "REKOGNITION_REVIEW_MIN_SIMILARITY", cls.rekognition_review_min_similarity
            ),
            max_failed_attempts=_int(env, "PHOTO_MAX_FAILED_ATTEMPTS", cls.max_failed_attempts),
        )


@dataclass(frozen=True)
class Tables:
    members: str
    accounts: str
    audit: str
    counters: str
    ephemeral: str
    applications: str
    uploads: str


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP relay for stages without SES: implicit TLS on 465, or STARTTLS on 587 (or any
    other port); the account is a SecureString JSON {"username","password"} named by
    `SMTP_SECRET_PARAM` (or given as `SMTP_SECRET` locally), read when the first mail is sent."""

    host: str = ""
    port: int = 465
    # "ssl" (implicit TLS, port 465), "starttls" (any other port), or "none": loopback only,
    # for the local stack's SMTP server; credentials never cross a network in the clear.
    security: str = "ssl"
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "SmtpSettings":
        host, port = _req(env, "SMTP_HOST"), _int(env, "SMTP_PORT", 465)
        security = env.get("SMTP_SECURITY", "").strip().lower() or ("ssl" if port == 465 else "starttls")
        if security not in ("ssl", "starttls", "none"):
            raise SettingsError(f"SMTP_SECURITY must be ssl, starttls or none, got {security!r}")
        if security == "none" and host not in ("127.0.0.1", "localhost", "::1"):
            raise SettingsError("SMTP_SECURITY=none is allowed only for a loopback SMTP_HOST")
        return cls(host=host, port=port, security=security,
                   timeout_seconds=_float(env, "SMTP_TIMEOUT_SECONDS", cls.timeout_seconds))


@dataclass(frozen=True)
class Settings:
    region: str
    tables: Tables
    photo_bucket: str
    photo_queue: str
    mail_sender: str
    site_url: str
    secrets: "_Secrets" = field(repr=False, compare=False)
    mail_adapter: str = "ses"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    # The "样章" sample seal may stand in for a missing association seal only where nobody relies
    # on the certificate (local stack, dev); elsewhere issuing without a seal is refused.
    allow_sample_seal: bool = False
    # The Lambda function that runs the photo auto-fix with the face engine (deployed stages);
    # unset: in this process; "local": that function's handler in this process, behind the same
    # JSON boundary (chalicelib/photo/prepare_function.py).
    photo_prepare_function: str = ""
    token_ttl_seconds: int = 1800
    face: FaceSettings = field(default_factory=FaceSettings)
    # Only the local stack sets it, for automated browser tests; a test checks no deployed stage does.
    captcha_test_code: str = ""
    # boto3 honours AWS_ENDPOINT_URL by itself; kept here so adapters can show it in logs.
    endpoint_url: str = ""
    # The help line every page and every error message names (the legacy manual's line).
    support_phone: str = DEFAULT_SUPPORT_PHONE

    @property
    def token_key(self) -> str:
        return self.secrets.get("TOKEN_KEY")

    @property
    def verify_key(self) -> str:
        return self.secrets.get("VERIFY_KEY")

    @property
    def signing_key_pem(self) -> str:
        return self.secrets.get("SIGNING_KEY_PEM")

    @property
    def signing_cert_pem(self) -> str:
        return self.secrets.get("SIGNING_CERT_PEM")

    def smtp_credentials(self) -> tuple[str, str]:
        """(username, password) of the SMTP account."""
        raw = self.secrets.get("SMTP_SECRET")
        try:
            data = json.loads(raw)
            return str(data["username"]), str(data["password"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError('SMTP_SECRET must be JSON {"username", "password"}') from exc
    # The long-running jobs' queue (export, import, bulk certificates): see chalicelib/jobs/.
    jobs_queue: str = "cpa-ecert-jobs"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        secrets = _Secrets(env)
        for name in ("TOKEN_KEY", "VERIFY_KEY", "SIGNING_KEY_PEM", "SIGNING_CERT_PEM"):
            secrets.require(name)
        mail_adapter = env.get("MAIL_ADAPTER", "").strip() or "ses"
        if mail_adapter not in ("ses", "smtp"):
            raise SettingsError(f"MAIL_ADAPTER must be ses or smtp, got {mail_adapter!r}")
        smtp = SmtpSettings()
        if mail_adapter == "smtp":
            secrets.require("SMTP_SECRET")
            smtp = SmtpSettings.from_env(env)
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or _req(env, "AWS_REGION"),
            tables=Tables(
                members=_req(env, "MEMBERS_TABLE"),
                accounts=_req(env, "ACCOUNTS_TABLE"),
                audit=_req(env, "AUDIT_TABLE"),
                counters=_req(env, "COUNTERS_TABLE"),
                ephemeral=_req(env, "EPHEMERAL_TABLE"),
                applications=_req(env, "APPLICATIONS_TABLE"),
                uploads=_req(env, "UPLOADS_TABLE"),
            ),
            photo_bucket=_req(env, "PHOTO_BUCKET"),
            photo_queue=_req(env, "PHOTO_QUEUE"),
            mail_sender=_req(env, "MAIL_SENDER"),
            site_url=_req(env, "SITE_URL").rstrip("/"),
            secrets=secrets,
            mail_adapter=mail_adapter,
            smtp=smtp,
            allow_sample_seal=_bool(env, "ALLOW_SAMPLE_SEAL"),
            photo_prepare_function=env.get("PHOTO_PREPARE_FUNCTION", "").strip(),
            token_ttl_seconds=_int(env, "TOKEN_TTL_SECONDS", 1800),
            face=FaceSettings.from_env(env),
            captcha_test_code=env.get("CAPTCHA_TEST_CODE", "").strip(),
            endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip(),
            support_phone=env.get("SUPPORT_PHONE", "").strip() or DEFAULT_SUPPORT_PHONE,
            jobs_queue=jobs_queue_name(env),
        )


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise SettingsError(f"setting {name} must be true or false, got {raw!r}")


class _Secrets:
    """A secret comes from `NAME` directly or from the SSM parameter named by `NAME_PARAM`; an
    SSM value is fetched on first use and kept for the life of the process."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._ssm: Any = None
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def require(self, name: str) -> None:
        """Fail at start, with the name, when neither `NAME` nor `NAME_PARAM` is set."""
        if not (self._env.get(name, "").strip() or self._env.get(f"{name}_PARAM", "").strip()):
            raise SettingsError(f"missing required setting {name} (or {name}_PARAM)")

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._load(name)
            return self._cache[name]

    def _load(self, name: str) -> str:
        direct = self._env.get(name, "").strip()
        if direct:
            return direct.replace("\\n", "\n")
        param = self._env.get(f"{name}_PARAM", "").strip()
        if not param:
            raise SettingsError(f"missing required setting {name} (or {name}_PARAM)")
        if self._ssm is None:
            import boto3

            region = self._env.get("AWS_REGION") or self._env.get("AWS_DEFAULT_REGION") or None
            self._ssm = boto3.client("ssm", region_name=region)
        try:
            return self._ssm.get_parameter(Name=param, WithDecryption=True)["Parameter"]["Value"]
        except Exception as exc:  # botocore errors, no network
            raise SettingsError(f"cannot read SSM parameter for {name}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use (once per cold start)."""
    return Settings.from_env()


# -- settings needed while app.py is being imported ----------------------------------------------
# Chalice reads a few values from decorators at import time (the SQS queue a handler listens to,
# the CORS origin of every route), before any request and before `get_settings()` should run (it
# may call SSM). These functions are the only other readers of the environment; they read the same
# variables as `Settings`, so the two cannot disagree.

DEFAULT_PHOTO_QUEUE = "cpa-ecert-photo-checks"


def photo_queue_name(env: Mapping[str, str] | None = None) -> str:
    """The photo-check queue, for `@app.on_sqs_message` (`chalice package` needs a default)."""
    env = os.environ if env is None else env
    return env.get("PHOTO_QUEUE", "").strip() or DEFAULT_PHOTO_QUEUE


DEFAULT_JOBS_QUEUE = "cpa-ecert-jobs"


def jobs_queue_name(env: Mapping[str, str] | None = None) -> str:
    """The jobs queue (export, import, bulk certificates), for `@app.on_sqs_message`."""
    env = os.environ if env is None else env
    return env.get("JOBS_QUEUE", "").strip() or DEFAULT_JOBS_QUEUE


def jobs_dead_letter_queue_name(env: Mapping[str, str] | None = None) -> str:
    """The jobs queue's dead-letter queue (named after it, as infra/ and the dev stack create it)."""
    return f"{jobs_queue_name(env)}-dlq"


def cors_origin(env: Mapping[str, str] | None = None) -> str:
    """The static site's origin (scheme://host[:port]) from SITE_URL, or "*" when unset."""
    env = os.environ if env is None else env
    site = env.get("SITE_URL", "").strip().rstrip("/")
    return "/".join(site.split("/")[:3]) if site.startswith("http") else "*"


def log_level(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("LOG_LEVEL", "").strip().upper() or "INFO"


def service_name(env: Mapping[str, str] | None = None) -> str:
    """The `service` field of log lines and the metrics' dimension (Powertools' variable)."""
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_SERVICE_NAME", "").strip() or "cpa-ecert"


def metrics_namespace(env: Mapping[str, str] | None = None) -> str:
    """The CloudWatch namespace of the app's metrics (Powertools' variable; one per stage)."""
    env = os.environ if env is None else env
    return env.get("POWERTOOLS_METRICS_NAMESPACE", "").strip() or "cpa-ecert-local"
