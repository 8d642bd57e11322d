"""The members room's door for the other rooms.

auth, photo and cert read member records and change them only through these functions, each
named after the change it makes ("photo accepted", "certificate issued"); none of them imports
the members' PynamoDB models or writes a member field itself (see docs/architecture.md).
Records handed out are for reading: a change made to one is not saved.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from pynamodb.exceptions import DoesNotExist

from chalicelib.members import store
from chalicelib.members.models import FaceConsent, MemberModel
from chalicelib.members.schema import ASSOCIATION_NAMES, ID_TYPES
from chalicelib.members.store import DYNAMO, MemberRepository
from chalicelib.principal import is_member_no

#: A member record as the other rooms see it (read-only by convention).
Member = MemberModel


def get(member_no: str, *, consistent: bool = False) -> Member | None:
    """The member, or None (also for a malformed number)."""
    if not is_member_no(member_no):
        return None
    try:
        return MemberModel.get(member_no, consistent_read=consistent)
    except DoesNotExist:
        return None


def name_of(member_no: str) -> str:
    member = get(member_no)
    return (member.name or "") if member else ""


def email_of(member_no: str) -> str:
    member = get(member_no)
    return str(member.fields().get("email") or "") if member else ""


def association_name(code: str) -> str:
    return ASSOCIATION_NAMES.get(code, "")


def find_by_identity(id_type: str, id_number: str, *, limit: int = 5) -> list[Member]:
    """Members whose ID type and number are exactly these (normally one)."""
    id_key = MemberModel.make_id_key(id_type, id_number)
    if not id_key:
        return []
    found = []
    for hit in MemberModel.by_id_number.query(id_key, limit=limit):
        member = get(hit.member_no)
        if member is not None and member.id_key == id_key:
            found.append(member)
    return found


def find_by_number_or_identity(stem: str) -> Member | None:
    """A member by member number, or by an ID number of any ID type (reference photo files)."""
    stem = stem.strip().upper()
    if is_member_no(stem):
        return get(stem)
    for id_type in ID_TYPES:
        hits = find_by_identity(id_type, stem, limit=2)
        if hits:
            return hits[0]
    return None


# -- named changes ---------------------------------------------------------------------------

def _change(member_no: str, mutate: Callable[[MemberModel], None], repo: MemberRepository) -> None:
    store.update_member_record(member_no, mutate, repo=repo)


def face_consent_given(member_no: str, at: str, text_version: str, *, repo: MemberRepository = DYNAMO) -> None:
    _change(member_no, lambda m: setattr(m, "face_consent", FaceConsent(at=at, text_version=text_version)), repo)


def photo_accepted(member_no: str, key: str, version_id: str | None, at: str, *,
                   repo: MemberRepository = DYNAMO) -> None:
    """A photo became the certificate photo: the face-comparison attempts start again."""

    def mutate(m: MemberModel) -> None:
        m.photo_key, m.photo_version_id, m.photo_status = key, version_id, "accepted"
        m.photo_accepted_at, m.failed_attempts = at, 0

    _change(member_no, mutate, repo)


def photo_not_accepted(member_no: str, *, face_mismatch: bool, in_review: bool,
                       repo: MemberRepository = DYNAMO) -> None:
    """An upload was rejected or sent to review; an accepted photo on file stays accepted.
    `face_mismatch` counts one failed face comparison against the member's attempts."""

    def mutate(m: MemberModel) -> None:
        if face_mismatch:
            m.failed_attempts = int(m.failed_attempts or 0) + 1
        if m.photo_status != "accepted":
            m.photo_status = "review" if in_review else "rejected"

    _change(member_no, mutate, repo)


def reference_photo_set(member_no: str, key: str) -> None:
    """The exam (全科合格) photo is on file at `key`."""
    member = get(member_no)
    if member is not None and member.reference_key != key:
        member.update(actions=[MemberModel.reference_key.set(key)])


def certificate_issued(member_no: str, issued_on: str, content_hash: str, *,
                       repo: MemberRepository = DYNAMO) -> None:
    """A certificate of this content was issued on this date (a later change of content re-issues)."""

    def mutate(m: MemberModel) -> None:
        m.cert_content_hash, m.cert_issued_on = content_hash, issued_on

    _change(member_no, mutate, repo)


# -- for long jobs (export, bulk certificates) ----------------------------------------------------

def numbers_matching(association: str, query: Mapping[str, str], *, only_complete: bool = False) -> list[str]:
    """The member numbers of the association's members matching the list filters, in order."""
    from chalicelib.members import listing

    filters = listing.parse_filters(query)
    return [m.member_no for m in listing.iterate(association, filters) if not only_complete or m.complete]


def check_filters(query: Mapping[str, str]) -> None:
    """Refuse unknown filter values (400) before a job is started with them."""
    from chalicelib.members import listing

    listing.parse_filters(query)


def export_records(association: str, member_nos: list[str]) -> list[dict[str, Any]]:
    """The export view of these members (those still in the association), in the given order."""
    from chalicelib.members import views

    found = {m.member_no: m for m in MemberModel.batch_get(member_nos)}
    return [views.record(found[n]) for n in member_nos if n in found and found[n].association == association]


def in_association(association: str, member_nos: list[str]) -> dict[str, Member]:
    """The members among these numbers that belong to the association (one batch read)."""
    return {m.member_no: m for m in MemberModel.batch_get(member_nos) if m.association == association}
