"""Shared test set-up: the environment comes first, then `app` is imported (STYLE 10).

`aws` gives each test an empty in-process moto account with every resource provisioned exactly
as the local stack provisions it (provisioned once per process, emptied before every test);
`client` is Chalice's test client on the real app, so the token authorizer runs as it does behind
API Gateway. Helpers make members and tokens without going through login (login itself is tested
in tests/integration/auth).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from chalicelib.cert.signing import make_self_signed
from devstack.env import resource_names

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
    "ALLOW_SAMPLE_SEAL": "true",  # tests that need the refusal set it to false themselves
})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("CAPTCHA_TEST_CODE", None)

import botocore.loaders  # noqa: E402
import pytest  # noqa: E402

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


class MotoAccount:
    """One in-process moto account per test process, provisioned by the first test that needs it.

    Creating the seven tables (with their indexes), the bucket, the queues and the mail identity
    cost more than most test bodies, so they are created once and only their contents are emptied
    before each test: every item, object version, queued message and sent e-mail, and every other
    moto service is reset. Between tests the mock is stopped (its data kept), so tests that do not
    ask for `aws` never talk to moto by accident.
    """

    # Services whose provisioned resources are kept between tests (their contents are emptied).
    KEPT = frozenset({"dynamodb", "s3", "sqs", "ses"})

    def __init__(self) -> None:
        from moto import mock_aws

        from devstack.fits import fit_moto

        # As the local stack: each DynamoDB request applied atomically (a lock), and DynamoDB's
        # cost model for responses, index queries and item writes (devstack/moto_dynamodb.py),
        # for UpdateItem (devstack/moto_update_item.py) and S3's for routing (devstack/moto_s3.py).
        fit_moto()
        self.mock = mock_aws()
        self.provisioned = False

    def start(self) -> None:
        self.mock.start(reset=not self.provisioned)

    def prepare(self, settings: Any) -> None:
        """Provision on first use (or if another mock reset moto meanwhile), else empty."""
        from devstack.provision import provision

        if self.provisioned and self.intact(settings):
            self.empty(settings)
        else:
            # Only the backends: mock.reset() would also drop the URL patterns through which
            # moto answers plain HTTP (a browser-style presigned POST with `requests`).
            from moto.core.base_backend import BackendDict

            BackendDict.reset()
            provision(settings)
            self.provisioned = True

    def intact(self, settings: Any) -> bool:
        from moto.core import DEFAULT_ACCOUNT_ID as account
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        from moto.sqs.models import sqs_backends

        tables = set(dynamodb_backends[account][settings.region].tables)
        return (set(vars(settings.tables).values()) <= tables
                and settings.photo_bucket in s3_backends[account]["aws"].buckets
                and settings.photo_queue in sqs_backends[account][settings.region].queues)

    def stop(self) -> None:
        self.mock.stop(remove_data=False)

    def empty(self, settings: Any) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID as account
        from moto.core.base_backend import BackendDict
        from moto.dynamodb.models import dynamodb_backends
        from moto.s3.models import s3_backends
        from moto.s3.notifications import send_test_event
        from moto.ses.models import ses_backends
        from moto.sqs.models import sqs_backends

        for backends in list(BackendDict._instances):
            if backends.service_name not in self.KEPT:
                for account_backends in backends.values():
                    account_backends.reset()
                backends.clear()
        for table in dynamodb_backends[account][settings.region].tables.values():
            table.items.clear()
        for queue in sqs_backends[account][settings.region].queues.values():
            queue._messages = []
            queue._pending_messages = set()
        for mail in ses_backends[account].values():
            mail.sent_messages.clear()
            mail.sent_message_count = 0
        s3 = s3_backends[account]["aws"]
        bucket = s3.get_bucket(settings.photo_bucket)
        while True:
            versions, _, markers, _, _ = s3.list_object_versions(bucket.name)
            if not versions and not markers:
                break
            for version in [*versions, *markers]:
                s3.delete_object(bucket.name, version.name, version_id=version.version_id, bypass=True)
        bucket.multiparts.clear()
        # A freshly configured notification queues an s3:TestEvent; consumers must meet it too.
        send_test_event(account, bucket)


@pytest.fixture(scope="session")
def _moto_account() -> MotoAccount:
    return MotoAccount()


@pytest.fixture()
def aws(_moto_account: MotoAccount) -> Iterator[Any]:
    from chalicelib import bootstrap

    _moto_account.start()
    bootstrap.reset()
    d = bootstrap.deps()
    _moto_account.prepare(d.settings)
    try:
        yield d
    finally:
        bootstrap.reset()
        _moto_account.stop()


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

    from chalicelib.auth.models import AccountModel
    from chalicelib.members import numbers
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
