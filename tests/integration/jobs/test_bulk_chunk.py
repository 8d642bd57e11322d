"""One chunk of a bulk certificate job: it reads the association's seal once, not once a
certificate, so a seal uploaded while a job runs is printed from the next chunk on; a missing
seal fails each member of the chunk with the seal message, after the member's own gates; each
download is audited, the entries written together, also when the chunk stops on an error."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.bootstrap import deps
from chalicelib.cert import service
from chalicelib.cert.seal import sample_seal
from chalicelib.cert.service import SealMissing
from chalicelib.jobs import kinds
from chalicelib.members import audit
from chalicelib.members.models import MemberModel
from chalicelib.principal import Principal

PDF = {"Accept": "application/pdf"}
STAFF = Principal("110000_association_staff", "association_staff", "110000")


def _chunk(d: Any, members: list[Any]) -> kinds.Outcome:
    return kinds.bulk_chunk(d, SimpleNamespace(association="110000"), STAFF, [m.member_no for m in members])


def _issued(member: Any) -> tuple[str | None, str | None]:
    stored = MemberModel.get(member.member_no, consistent_read=True)
    return stored.cert_content_hash, stored.cert_issued_on


@pytest.fixture()
def seal_reads(aws: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The associations whose seal was read from the store, one entry a read."""
    reads: list[str] = []
    read = aws.certificates.get_seal

    def counted(association: str) -> bytes | None:
        reads.append(association)
        return read(association)

    monkeypatch.setattr(aws.certificates, "get_seal", counted)
    return reads


def test_a_seal_uploaded_between_chunks_is_printed_from_the_next_chunk(client, aws, persona, with_photo,
                                                                        seal_reads):
    first, second = with_photo(), with_photo()
    aws.certificates.put_seal("110000", sample_seal("北京注册会计师协会"))
    assert _chunk(aws, [first]).failed == 0
    aws.certificates.put_seal("110000", sample_seal("北京市注册会计师协会(新印章)"))
    assert _chunk(aws, [second]).failed == 0
    assert seal_reads == ["110000", "110000"]

    # A download now prints the new seal: for the first member that is new content (a new
    # issue), for the second it is the very issue its chunk made.
    printed_first, printed_second = _issued(first), _issued(second)
    staff = persona("association_staff", "110000")
    for member in (first, second):
        r = client.http.get(f"/members/{member.member_no}/certificate", headers={**staff.headers, **PDF})
        assert r.status_code == 200 and r.body[:5] == b"%PDF-"
    assert _issued(first)[0] != printed_first[0]
    assert _issued(second) == printed_second


def test_one_chunk_reads_the_seal_once(aws, with_photo, seal_reads):
    members = [with_photo() for _ in range(3)]
    aws.certificates.put_seal("110000", sample_seal("北京注册会计师协会"))
    out = _chunk(aws, members)
    assert (out.done, out.failed, len(out.output["ok"])) == (3, 0, 3)
    assert seal_reads == ["110000"]


def test_without_a_seal_each_member_fails_with_the_seal_message_after_its_own_gates(
        aws, with_photo, seal_reads, monkeypatch):
    monkeypatch.setattr(deps(), "settings", dataclasses.replace(deps().settings, allow_sample_seal=False))
    incomplete, one, two = with_photo(complete=False), with_photo(), with_photo()
    out = _chunk(aws, [incomplete, one, two])
    reasons = {no: reason for no, _, reason in out.output["failed"]}
    assert out.failed == 3 and reasons[incomplete.member_no] == "请将会员必填信息补充完整,再进行下载"
    assert reasons[one.member_no] == reasons[two.member_no] == SealMissing.message
    assert seal_reads == ["110000"]
    assert _issued(one) == (None, None)  # nothing issued without a seal


def test_each_download_is_audited_also_when_the_chunk_stops_on_an_error(aws, with_photo, monkeypatch):
    members = [with_photo() for _ in range(3)]
    aws.certificates.put_seal("110000", sample_seal("北京注册会计师协会"))
    sign, signed = service._sign, []

    def sign_twice(d: Any, pdf: bytes) -> bytes:
        if len(signed) == 2:
            raise RuntimeError("the signer failed")  # not an AppError: the chunk fails
        signed.append(pdf)
        return sign(d, pdf)

    monkeypatch.setattr(service, "_sign", sign_twice)
    with pytest.raises(RuntimeError):
        _chunk(aws, members)
    entries = [audit.history(m.member_no) for m in members]
    assert [len(e) for e in entries] == [1, 1, 0]
    for entry, member in zip(entries[:2], members):
        assert entry[0]["action"] == "certificate" and entry[0]["actor"] == STAFF.actor
        assert entry[0]["detail"] == {"event": "下载会员证", "issued_on": _issued(member)[1]}
