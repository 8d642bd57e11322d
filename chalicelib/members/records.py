"""The members room's door for the other rooms.

auth, photo, cert and jobs read member records and change them only through these functions,
each named after the change it makes ("photo accepted", "certificate issued"); none of them
imports the members' PynamoDB models or `members.access`, or writes a member field itself (see
docs/architecture.md). Records handed out are read-only values (`MemberRecord`), not the storage
model, so another room cannot change a member by accident by setting a field and saving; the
scope rule (who may see which member) is `members.access`, applied here by `visible_to` and
`own`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Sequence

from pynamodb.constants import BATCH_GET_PAGE_LIMIT
from pynamodb.exceptions import DoesNotExist

from chalicelib.item_reads import read_items_directly
from chalicelib.members import access, store
from chalicelib.members.models import FaceConsent, MemberModel
from chalicelib.members.schema import ASSOCIATION_NAMES, ID_TYPES
from chalicelib.members.store import DYNAMO, MemberRepository
from chalicelib.principal import Principal, is_member_no


@dataclass(frozen=True)
class ConsentSeen:
    at: str
    text_version: str


@dataclass(frozen=True)
class MemberRecord:
    """A member as the other rooms read it: a frozen copy of the stored record."""

    member_no: str
    association: str
    name: str
    status: str
    photo_status: str
    photo_key: str | None
    photo_version_id: str | None
    reference_key: str | None
    failed_attempts: int
    last_photo_upload_id: str | None
    failed_attempts_before_last: int | None
    face_consent: ConsentSeen | None
    cert_issued_on: str | None
    cert_content_hash: str | None
    id_key: str | None
    _fields: Mapping[str, str] = field(repr=False)

    def fields(self) -> dict[str, str]:
        """The profile as a plain dict (a fresh copy), with member number and association."""
        return dict(self._fields)

    @classmethod
    def of(cls, m: MemberModel) -> MemberRecord:
        consent = m.face_consent
        return cls(member_no=m.member_no, association=m.association, name=m.name or "",
                   status=m.status, photo_status=m.photo_status, photo_key=m.photo_key,
                   photo_version_id=m.photo_version_id, reference_key=m.reference_key,
                   failed_attempts=int(m.failed_attempts or 0),
                   last_photo_upload_id=m.last_photo_upload_id,
                   failed_attempts_before_last=(int(m.failed_attempts_before_last)
                                                if m.failed_attempts_before_last is not None else None),
                   face_consent=ConsentSeen(consent.at, consent.text_version) if consent is not None else None,
                   cert_issued_on=m.cert_issued_on, cert_content_hash=m.cert_content_hash, id_key=m.id_key,
                   _fields=MappingProxyType(m.fields()))


#: What the other rooms' functions accept: always the read-only record, never the storage model.
Member = MemberRecord


def _model(member_no: str, *, consistent: bool = False) -> MemberModel | None:
    if not is_member_no(member_no):
        return None
    try:
        return MemberModel.get(member_no, consistent_read=consistent)
    except DoesNotExist:
        return None


def get(member_no: str, *, consistent: bool = False) -> MemberRecord | None:
    """The member as a read-only record, or None (also for a malformed number)."""
    model = _model(member_no, consistent=consistent)
    return MemberRecord.of(model) if model is not None else None


def visible_to(principal: Principal, member_no: str, *, consistent: bool = False) -> MemberRecord:
    """The member if `principal` may see it (a member only self, staff only their association,
    national staff only overseas members); 404 MEMBER_NOT_FOUND otherwise, also for a malformed
    number, so member numbers cannot be probed."""
    return MemberRecord.of(access.get_member(principal, member_no, consistent=consistent))


def own(principal: Principal, *, consistent: bool = False) -> MemberRecord:
    """The signed-in member's own record; 404 MEMBER_NOT_FOUND for anyone who is not a member."""
    return MemberRecord.of(access.get_self(principal, consistent=consistent))


def managed_association(principal: Principal) -> str:
    """The association whose members a staff principal manages (national staff: overseas);
    404 MEMBER_NOT_FOUND for anyone else."""
    return access.managed_association(principal)


def name_of(member_no: str) -> str:
    member = get(member_no)
    return (member.name or "") if member else ""


def email_of(member_no: str) -> str:
    member = get(member_no)
    return str(member.fields().get("email") or "") if member else ""


def association_name(code: str) -> str:
    return ASSOCIATION_NAMES.get(code, "")


def find_by_identity(id_type: str, id_number: str, *, limit: int = 5) -> list[MemberRecord]:
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


def find_by_number_or_identity(stem: str) -> MemberRecord | None:
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

def _change(member_no: str, mutate: Callable[[MemberModel], bool | None], repo: MemberRepository) -> None:
    store.update_member_record(member_no, mutate, repo=repo)


def face_consent_given(member_no: str, at: str, text_version: str, *, repo: MemberRepository = DYNAMO) -> None:
    _change(member_no, lambda m: setattr(m, "face_consent", FaceConsent(at=at, text_version=text_version)), repo)


def _once_per_upload(m: MemberModel, upload_id: str | None) -> bool:
    """True if this upload's result is already on the member (a redelivered check); otherwise
    remember the upload and the failed comparisons before it, and go on with the change."""
    if upload_id is None:
        return False
    if m.last_photo_upload_id == upload_id:
        return True
    m.last_photo_upload_id = upload_id
    m.failed_attempts_before_last = int(m.failed_attempts or 0)
    return False


def photo_accepted(member_no: str, key: str, version_id: str | None, at: str, *,
                   upload_id: str | None = None, repo: MemberRepository = DYNAMO) -> None:
    """A photo became the certificate photo: the face-comparison attempts start again.
    With `upload_id` (the checked upload it came from) the change is made once per upload."""

    def mutate(m: MemberModel) -> bool:
        if _once_per_upload(m, upload_id):
            return False
        m.photo_key, m.photo_version_id, m.photo_status = key, version_id, "accepted"
        m.photo_accepted_at, m.failed_attempts = at, 0
        return True

    _change(member_no, mutate, repo)


def photo_not_accepted(member_no: str, *, face_mismatch: bool, in_review: bool,
                       upload_id: str | None = None, repo: MemberRepository = DYNAMO) -> None:
    """An upload was rejected or sent to review; an accepted photo on file stays accepted.
    `face_mismatch` counts one failed face comparison against the member's attempts; with
    `upload_id` (the checked upload) it is counted once however often the check is delivered."""

    def mutate(m: MemberModel) -> bool:
        if _once_per_upload(m, upload_id):
            return False
        if face_mismatch:
            m.failed_attempts = int(m.failed_attempts or 0) + 1
        if m.photo_status != "accepted":
            m.photo_status = "review" if in_review else "rejected"
        return True

    _change(member_no, mutate, repo)


def reference_photo_set(member_no: str, key: str) -> None:
    """The exam (全科合格) photo is on file at `key`."""
    member = _model(member_no)
    if member is not None and member.reference_key != key:
        member.update(actions=[MemberModel.reference_key.set(key)])


def certificate_issued(member_no: str, issued_on: str, content_hash: str, *,
                       repo: MemberRepository = DYNAMO) -> None:
    """A certificate of this content was issued on this date (a later change of content re-issues).

    One conditional write of the two fields, with no read first: what an issue printed does not
    depend on the record as it is now, so a change someone saved meanwhile is kept, the member's
    version moves on as for any change, and a member that no longer exists is not created
    (`MemberModel.DoesNotExist`)."""
    repo.set_attributes(member_no, {"cert_content_hash": content_hash, "cert_issued_on": issued_on})


# -- for long jobs (export, bulk certificates) ----------------------------------------------------

def numbers_matching(association: str, query: Mapping[str, str], *, only_complete: bool = False) -> list[str]:
    """The member numbers of the association's members matching the list filters, in order."""
    from chalicelib.members import listing

    return list(listing.member_numbers(association, listing.parse_filters(query), only_complete=only_complete))


def check_filters(query: Mapping[str, str]) -> None:
    """Refuse unknown filter values (400) before a job is started with them."""
    from chalicelib.members import listing

    listing.parse_filters(query)


def export_records(association: str, member_nos: list[str]) -> list[dict[str, Any]]:
    """The export view of these members (those still in the association), in the given order."""
    from chalicelib.members import views

    found = {item["member_no"]["S"]: item for item in _items(member_nos, views.RECORD_ATTRIBUTES)}
    wanted = {"S": association}
    return [views.record_of_item(found[n]) for n in member_nos if n in found and found[n].get("association") == wanted]


def _items(member_nos: list[str], attributes: Sequence[str]) -> Iterator[dict[str, Any]]:
    """These members as DynamoDB returns them (AttributeValues), only `attributes`, any order:
    `MemberModel.batch_get` without building a model of each (half the CPU of an export chunk)."""
    read_items_directly(MemberModel._get_connection().connection.client)
    numbers = list(dict.fromkeys(member_nos))
    for i in range(0, len(numbers), BATCH_GET_PAGE_LIMIT):
        keys: Any = [{"member_no": n} for n in numbers[i:i + BATCH_GET_PAGE_LIMIT]]
        while keys:
            page, keys = MemberModel._batch_get_page(keys, consistent_read=None, attributes_to_get=list(attributes))
            yield from page


def in_association(association: str, member_nos: list[str]) -> dict[str, MemberRecord]:
    """The members among these numbers that belong to the association (one batch read; the
    items read by `read_items_directly`, as for an export: a bulk certificate chunk reads 200)."""
    read_items_directly(MemberModel._get_connection().connection.client)
    return {m.member_no: MemberRecord.of(m) for m in MemberModel.batch_get(member_nos)
            if m.association == association}
