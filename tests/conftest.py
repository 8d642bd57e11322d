"""Shared test set-up: the environment comes first, then `app` is imported (STYLE 10).

`aws` gives each test a fresh in-process moto account with every resource provisioned exactly
as the local stack provisions it; `client` is Chalice's test client on the real app, so the
token authorizer runs as it does behind API Gateway. Helpers make members and tokens without
going through login (login itself is tested in tests/auth).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from devstack.env import resource_names
from chalicelib.cert.signing import make_self_signed

_KEY_PEM, _CERT_PEM = make_self_signed("test signer")
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    **resource_names("test"),
    "SITE_URL": "https://ecert.example.com",
    "TOKEN_KEY": "test-token-key-0123456789abcdef0123456789abcdef",
    "VERIFY_KEY": "test-verify-key-0123456789abcdef0123456789abcdef",
    "SIGNING_KEY_PEM": _KEY_PEM,
    "SIGNING_CERT_PEM": _CERT_PEM,
    "FACE_ENGINE": "dlib",
    "LOG_LEVEL": "WARNING",
})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("CAPTCHA_TEST_CODE", None)

import botocore.loaders  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

# Every fresh `aws` fixture makes new botocore sessions (boto3 clients, one per PynamoDB model),
# and each new session re-parses botocore's large JSON data files: about 2-3 s per test on this
# machine. The files never change, so the parsed data is shared across sessions here.
_JSON_CACHE: dict[str, Any] = {}
_SERVICES_CACHE: dict[tuple[Any, ...], list[str]] = {}
_load_file = botocore.loaders.JSONFileLoader.load_file
_list_services = botocore.loaders.Loader.list_available_services


def _cached_load_file(self: Any, file_path: str) -> Any:
    if file_path not in _JSON_CACHE:
        _JSON_CACHE[file_path] = _load_file(self, file_path)
    return _JSON_CACHE[file_path]


def _cached_list_services(self: Any, type_name: str) -> list[str]:
    key = (tuple(self.search_paths), type_name)
    if key not in _SERVICES_CACHE:
        _SERVICES_CACHE[key] = _list_services(self, type_name)
    return list(_SERVICES_CACHE[key])


@pytest.fixture(autouse=True)
def _fast_botocore(monkeypatch: Any) -> None:
    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", _cached_load_file)
    monkeypatch.setattr(botocore.loaders.Loader, "list_available_services", _cached_list_services)


ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT / "tests" / "fixtures" / "faces"
DEMO_PASSWORD = "Demo#2026"


@pytest.fixture(scope="session")
def password_hash() -> str:
    from chalicelib.auth.passwords import hash_password

    return hash_password(DEMO_PASSWORD)


@pytest.fixture()
def aws() -> Iterator[Any]:
    from chalicelib import bootstrap
    from devstack.provision import provision

    with mock_aws():
        bootstrap.reset()
        d = bootstrap.deps()
        provision(d.settings)
        yield d
    bootstrap.reset()


@pytest.fixture()
def client(aws: Any) -> Iterator[Any]:
    from chalice.test import Client

    import app as app_module

    with Client(app_module.app) as c:
        yield c


@dataclass
class Persona:
    username: str
    role: str
    association: str
    member_no: str = ""
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


@pytest.fixture()
def make_member(aws: Any, password_hash: str) -> Any:
    """Create a member (complete unless told otherwise) with an account; returns the model."""
    import random

    from chalicelib.members import numbers
    from chalicelib.auth.models import AccountModel
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import is_complete
    from devstack.fake import person

    rng = random.Random(7)

    def _make(association: str = "110000", *, complete: bool = True, status: str = "active",
              **overrides: str) -> Any:
        member_no = numbers.allocate_one(association)
        profile = person(rng, association, complete=complete)
        profile.update(overrides)
        m = MemberModel(member_no, association=association, name=profile["name"], profile=profile,
                        id_key=MemberModel.make_id_key(profile["id_type"], profile["id_number"]),
                        complete=is_complete(profile), status=status)
        m.save()
        AccountModel(AccountModel.key("member", member_no), user_type="member", username=member_no,
                     role="member", association=association, member_no=member_no,
                     password_hash=password_hash).save()
        return m

    return _make


@pytest.fixture()
def persona(aws: Any, password_hash: str) -> Any:
    """A signed-in principal: persona("member", member_no=...), persona("association_staff", "110000")."""
    from chalicelib.auth import tokens
    from chalicelib.auth.models import AccountModel

    def _make(role: str, association: str = "110000", *, member_no: str = "", username: str = "",
              must_change_password: bool = False) -> Persona:
        if role == "member":
            username = member_no
            account_id = AccountModel.key("member", member_no)
        else:
            username = username or f"{association}_{role}"
            account_id = AccountModel.key("staff", username)
            AccountModel(account_id, user_type="staff", username=username, role=role,
                         association=association, password_hash=password_hash,
                         must_change_password=must_change_password).save()
        token, _ = tokens.issue(aws.settings.token_key, sub=account_id, role=role, association=association,
                                member_no=member_no, must_change_password=must_change_password)
        return Persona(username, role, association, member_no, token)

    return _make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
