"""The members room's DynamoDB models (PynamoDB): members, their audit log, the member-number
counters and membership applications.

Storage shapes, not API shapes: views decide what each role sees. Other rooms never import this
module; they go through `chalicelib.members.records` (see docs/architecture.md).

- members: one item per member; profile fields in a map (the schema is data), plus the few
  top-level attributes that indexes and list filters need. `version` gives optimistic locking.
- audit: append-only change log, one partition per member, newest first by sort key.
- counters: atomic per-association member-number sequences.
- applications: membership applications awaiting staff review.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.db import BaseModel, utcnow_iso

# -- members ------------------------------------------------------------------------------------

class ByAssociation(GlobalSecondaryIndex["MemberModel"]):
    """List members of one association in member-number order (the staff landing view)."""

    class Meta:
        index_name = "by_association"
        projection = AllProjection()

    association = UnicodeAttribute(hash_key=True)
    member_no = UnicodeAttribute(range_key=True)


class ByIdNumber(GlobalSecondaryIndex["MemberModel"]):
    """Find a member by ID type + number (lookup, import matching, uniqueness)."""

    class Meta:
        index_name = "by_id_number"
        projection = KeysOnlyProjection()

    id_key = UnicodeAttribute(hash_key=True)


class FaceConsent(MapAttribute):
    at = UnicodeAttribute()
    text_version = UnicodeAttribute()


class MemberModel(BaseModel):
    table_setting = "members"

    class Meta(BaseModel.Meta):
        pass

    member_no = UnicodeAttribute(hash_key=True)
    association = UnicodeAttribute()
    id_key = UnicodeAttribute(null=True)  # "<id_type>#<id_number>"
    name = UnicodeAttribute(default="")
    profile: MapAttribute[str, Any] = MapAttribute(default=dict)  # every schema field, as strings
    complete = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="active")  # active | suspended | cancelled
    status_reason = UnicodeAttribute(null=True)
    status_changed_at = UnicodeAttribute(null=True)
    photo_status = UnicodeAttribute(default="none")  # none | pending | accepted | rejected | review
    photo_key = UnicodeAttribute(null=True)  # S3 key of the certificate photo
    photo_version_id = UnicodeAttribute(null=True)
    photo_accepted_at = UnicodeAttribute(null=True)
    reference_key = UnicodeAttribute(null=True)  # S3 key of the exam (全科合格) photo
    failed_attempts = NumberAttribute(default=0)
    # The last checked upload whose result was applied here, and the failed comparisons before
    # it: a redelivered check of that upload changes nothing and is decided on the same count.
    last_photo_upload_id = UnicodeAttribute(null=True)
    failed_attempts_before_last = NumberAttribute(null=True)
    face_consent = FaceConsent(null=True)
    cert_issued_on = UnicodeAttribute(null=True)  # issue date of the current certificate content
    cert_content_hash = UnicodeAttribute(null=True)  # what that issue printed; a change re-issues
    created_at = UnicodeAttribute(default=utcnow_iso)
    updated_at = UnicodeAttribute(default=utcnow_iso)
    version = VersionAttribute()

    by_association = ByAssociation()
    by_id_number = ByIdNumber()

    @staticmethod
    def make_id_key(id_type: str, id_number: str) -> str | None:
        return f"{id_type}#{id_number.upper()}" if id_type and id_number else None

    def fields(self) -> dict[str, str]:
        """The profile as a plain dict, with the system-held fields filled in."""
        data = {k: str(v) for k, v in (self.profile.as_dict() if hasattr(self.profile, "as_dict")
                                        else dict(self.profile or {})).items() if v is not None}
        data["member_no"] = self.member_no
        data["association"] = self.association
        return data


# -- audit --------------------------------------------------------------------------------------

class AuditModel(BaseModel):
    table_setting = "audit"

    class Meta(BaseModel.Meta):
        pass

    member_no = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<iso time>#<random>" so newest-first is a reverse query
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()  # create | update | status | photo | certificate | import | ...
    changes = ListAttribute(of=MapAttribute, default=list)  # [{"field","label","old","new"}]
    detail: MapAttribute[str, Any] = MapAttribute(default=dict)
    # Idempotency for event-driven writers (e.g. the photo handler): one entry per event key.
    event_key = UnicodeAttribute(null=True)


# -- counters -----------------------------------------------------------------------------------

class CounterModel(BaseModel):
    table_setting = "counters"

    class Meta(BaseModel.Meta):
        pass

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


# -- applications -------------------------------------------------------------------------------

class ApplicationsByAssociation(GlobalSecondaryIndex["ApplicationModel"]):
    class Meta:
        index_name = "by_association"
        projection = AllProjection()

    association = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ApplicationModel(BaseModel):
    table_setting = "applications"

    class Meta(BaseModel.Meta):
        pass

    app_id = UnicodeAttribute(hash_key=True)
    association = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | approved | rejected
    profile: MapAttribute[str, Any] = MapAttribute(default=dict)
    created_at = UnicodeAttribute(default=utcnow_iso)
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    member_no = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_association = ApplicationsByAssociation()


# -- ID-number claims ---------------------------------------------------------------------------

class IdClaimModel(BaseModel):
    """One item per (ID type, ID number) that a member holds, in the members table.

    The key is `idnum#<id_type>#<ID NUMBER>` in the members table's key attribute: it can never
    be a member number (12 digits), and without `association` or `id_key` it stays out of both
    indexes. A member is created (or changes its ID number) in the same transaction that puts
    this item under "must not exist", so of two racing writers with one ID number exactly one
    wins: an index query before the write cannot give that (indexes are eventually consistent
    and the two writers both query before either writes).
    """

    table_setting = "members"

    class Meta(BaseModel.Meta):
        pass

    member_no = UnicodeAttribute(hash_key=True)  # the claim key, see above
    owner = UnicodeAttribute()  # the member number that holds the ID number
    claimed_at = UnicodeAttribute(default=utcnow_iso)

    PREFIX = "idnum#"

    @classmethod
    def key_for(cls, id_key: str) -> str:
        return cls.PREFIX + id_key
