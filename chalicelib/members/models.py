"""DynamoDB storage models (PynamoDB).

Storage shapes, not API shapes: views in the services decide what each role sees. Table names
come from the settings: `bind(settings)` points every model at its table once per cold start
(tests and the local stack call it too), so no model reads the environment at import time.

Tables:
- members: one item per member; profile fields in a map (the schema is data), plus the few
  top-level attributes that indexes and list filters need. `version` gives optimistic locking.
- accounts: credentials and sign-in state, kept apart from the profile.
- audit: append-only change log, one partition per member, newest first by sort key.
- counters: atomic per-association member-number sequences.
- ephemeral: short-lived items (captchas, reset codes, revoked tokens, rate-limit windows) with a
  TTL attribute; readers also check the expiry, since DynamoDB deletes expired items lazily.
- applications: membership applications awaiting staff review.
- uploads: photo uploads with their check results; a sparse index holds the review queue.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import Settings


def utcnow_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Base(Model):
    class Meta:
        abstract = True
        table_name = "unbound"
        region = "us-east-1"
        billing_mode = "PAY_PER_REQUEST"


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


class MemberModel(_Base):
    class Meta(_Base.Meta):
        pass

    member_no = UnicodeAttribute(hash_key=True)
    association = UnicodeAttribute()
    id_key = UnicodeAttribute(null=True)  # "<id_type>#<id_number>"
    name = UnicodeAttribute(default="")
    profile = MapAttribute(default=dict)  # every schema field, as strings
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


# -- accounts -----------------------------------------------------------------------------------

class AccountModel(_Base):
    """Credentials, apart from the profile. Key: "member:<member_no>" or "staff:<username>"."""

    class Meta(_Base.Meta):
        pass

    account_id = UnicodeAttribute(hash_key=True)
    user_type = UnicodeAttribute()  # member | staff
    username = UnicodeAttribute()
    role = UnicodeAttribute()  # member | association_staff | national_staff
    association = UnicodeAttribute()
    member_no = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(default="")
    email = UnicodeAttribute(null=True)  # staff only; members' e-mail lives in the profile
    password_hash = UnicodeAttribute()
    must_change_password = BooleanAttribute(default=False)
    disabled = BooleanAttribute(default=False)
    # Tokens issued before this instant (epoch seconds) are void: set on password change/reset.
    tokens_valid_after = NumberAttribute(default=0)
    created_at = UnicodeAttribute(default=utcnow_iso)
    updated_at = UnicodeAttribute(default=utcnow_iso)

    @staticmethod
    def key(user_type: str, username: str) -> str:
        return f"{user_type}:{username}"


# -- audit --------------------------------------------------------------------------------------

class AuditModel(_Base):
    class Meta(_Base.Meta):
        pass

    member_no = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<iso time>#<random>" so newest-first is a reverse query
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()  # create | update | status | photo | certificate | import | ...
    changes = ListAttribute(of=MapAttribute, default=list)  # [{"field","label","old","new"}]
    detail = MapAttribute(default=dict)
    # Idempotency for event-driven writers (e.g. the photo handler): one entry per event key.
    event_key = UnicodeAttribute(null=True)


# -- counters -----------------------------------------------------------------------------------

class CounterModel(_Base):
    class Meta(_Base.Meta):
        pass

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


# -- short-lived items --------------------------------------------------------------------------

class EphemeralModel(_Base):
    class Meta(_Base.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # "<kind>#<id>"
    data = MapAttribute(default=dict)
    expires_at = TTLAttribute()

    def expired(self) -> bool:
        return self.expires_at <= datetime.now(timezone.utc)


# -- applications -------------------------------------------------------------------------------

class ApplicationsByAssociation(GlobalSecondaryIndex["ApplicationModel"]):
    class Meta:
        index_name = "by_association"
        projection = AllProjection()

    association = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ApplicationModel(_Base):
    class Meta(_Base.Meta):
        pass

    app_id = UnicodeAttribute(hash_key=True)
    association = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | approved | rejected
    profile = MapAttribute(default=dict)
    created_at = UnicodeAttribute(default=utcnow_iso)
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    member_no = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_association = ApplicationsByAssociation()


# -- photo uploads ------------------------------------------------------------------------------

class ReviewQueue(GlobalSecondaryIndex["UploadModel"]):
    """Sparse: only uploads waiting for staff review carry `review_association`."""

    class Meta:
        index_name = "review_queue"
        projection = AllProjection()

    review_association = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class UploadsByMember(GlobalSecondaryIndex["UploadModel"]):
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_no = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class UploadModel(_Base):
    class Meta(_Base.Meta):
        pass

    upload_id = UnicodeAttribute(hash_key=True)
    member_no = UnicodeAttribute()
    association = UnicodeAttribute()
    kind = UnicodeAttribute(default="member")  # member | staff
    actor = UnicodeAttribute(default="")
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute(default="waiting")  # waiting | pending | accepted | rejected | review
    checks = ListAttribute(of=MapAttribute, default=list)
    score = NumberAttribute(null=True)
    engine = UnicodeAttribute(null=True)
    message = UnicodeAttribute(default="")
    s3_version_id = UnicodeAttribute(null=True)
    processed_event = UnicodeAttribute(null=True)  # the S3 object version/etag already handled
    attempts_left = NumberAttribute(null=True)  # the member's attempts left after this upload
    review_association = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default=utcnow_iso)
    processed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    review_queue = ReviewQueue()
    by_member = UploadsByMember()


ALL_MODELS: dict[str, type[Model]] = {
    "members": MemberModel,
    "accounts": AccountModel,
    "audit": AuditModel,
    "counters": CounterModel,
    "ephemeral": EphemeralModel,
    "applications": ApplicationModel,
    "uploads": UploadModel,
}


def bind(settings: Settings) -> None:
    """Point every model at its configured table (and the local endpoint, if any)."""
    for attr, model in ALL_MODELS.items():
        model.Meta.table_name = getattr(settings.tables, attr)
        model.Meta.region = settings.region
        model.Meta.host = settings.endpoint_url or None
        model._connection = None  # PynamoDB caches the connection per class


def create_tables() -> None:
    """Create every table with its indexes and TTL (local stack and tests; the cloud uses infra/)."""
    import boto3

    for model in ALL_MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    ttl_client: Any = boto3.client("dynamodb", region_name=EphemeralModel.Meta.region,
                                   endpoint_url=EphemeralModel.Meta.host)
    ttl_client.update_time_to_live(
        TableName=EphemeralModel.Meta.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
