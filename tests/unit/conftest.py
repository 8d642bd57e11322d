"""Guards of the unit layer: no network, no AWS mock, nothing but the code and the fixtures.

Unit tests must run anywhere in seconds, so any test here that opens a socket to anything but
this machine fails (that includes a boto3 call that would reach AWS), and so does one that runs
while a moto mock is active. When only unit tests are collected, moto must not even be imported.
Subprocesses of local tools (poppler for PDF inspection) are allowed.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

UNIT = Path(__file__).resolve().parent
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host: Any) -> bool:
    if host is None or host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> AssertionError:
    return AssertionError(f"unit tests must not use the network ({what}); "
                          "move this test to tests/integration or use a fake")


def _guarded_socket_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(f"connect to {address[0]}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(f"connect to {address[0]}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise _refuse(f"name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _only_unit_tests(session: pytest.Session) -> bool:
    return all(UNIT in Path(str(item.path)).resolve().parents for item in session.items)


@pytest.fixture(autouse=True)
def _unit_layer_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _guarded_socket_calls(monkeypatch)
    moto_core = sys.modules.get("moto.core.models")
    assert moto_core is None or not moto_core.MockAWS._mocks_active, "a moto mock is active in a unit test"
    yield
    if _only_unit_tests(request.session):
        assert "moto" not in sys.modules, f"{request.node.nodeid} imported moto: it belongs in tests/integration"
