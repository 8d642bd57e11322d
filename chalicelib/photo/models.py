"""The photo room's DynamoDB model (PynamoDB): uploads with their check results.

A sparse index holds the staff review queue: only uploads waiting for review carry
`review_association`.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.db import BaseModel, utcnow_iso

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


class UploadModel(BaseModel):
    table_setting = "uploads"

    class Meta(BaseModel.Meta):
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
    review_reason = UnicodeAttribute(null=True)  # why it went to staff review (REVIEW_REASONS)
    decided_by = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(default=utcnow_iso)
    processed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    review_queue = ReviewQueue()
    by_member = UploadsByMember()
