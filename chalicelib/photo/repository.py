"""The photo room's storage behind one interface: uploads with their check results, and the
staff review queue (the uploads that wait for a decision).

The photo service speaks to an `UploadRepository` instead of the PynamoDB model, so its rules
can be tested on the in-memory fake in `tests/fakes.py`; one contract suite runs against the fake
and DynamoDB (see docs/architecture.md, "Repositories and their fakes").

Uploads are saved under their version: the check of a duplicate queue delivery and a second
staff decision on the same review both lose with `StaleUpload` instead of overwriting.
"""

from __future__ import annotations

from typing import Protocol

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.photo.models import UploadModel


class StaleUpload(Exception):
    """Someone saved the upload after it was read (or a new upload's id is taken)."""


class UploadRepository(Protocol):
    def get(self, upload_id: str, *, consistent: bool = False) -> UploadModel | None: ...

    def save(self, upload: UploadModel) -> None:
        """Save under `upload.version` (None: must be new); the version then goes up by one.
        Raises `StaleUpload` if the stored version is not the one that was read."""
        ...

    def review_queue(self, association: str, *, limit: int = 200,
                     after: tuple[str, str] | None = None) -> list[UploadModel]:
        """The association's uploads waiting for review, newest first: at most `limit`, starting
        after the upload `after` = (created_at, upload_id) of the previous page's last row."""
        ...

    def open_reviews_of(self, member_no: str) -> list[UploadModel]:
        """The member's uploads that still wait for review (normally none or one)."""
        ...


class DynamoUploadRepository:
    """The uploads table through PynamoDB (its VersionAttribute gives the condition; the sparse
    `review_queue` index holds only uploads that carry `review_association`)."""

    def get(self, upload_id: str, *, consistent: bool = False) -> UploadModel | None:
        try:
            return UploadModel.get(upload_id, consistent_read=consistent)
        except DoesNotExist:
            return None

    def save(self, upload: UploadModel) -> None:
        try:
            upload.save()
        except PutError as exc:
            # Any failed save counts as lost, as the callers have always treated it.
            raise StaleUpload(upload.upload_id) from exc

    def review_queue(self, association: str, *, limit: int = 200,
                     after: tuple[str, str] | None = None) -> list[UploadModel]:
        start = None
        if after is not None:
            start = {"upload_id": {"S": after[1]}, "review_association": {"S": association},
                     "created_at": {"S": after[0]}}
        return list(UploadModel.review_queue.query(association, scan_index_forward=False, limit=limit,
                                                   last_evaluated_key=start, page_size=limit))

    def open_reviews_of(self, member_no: str) -> list[UploadModel]:
        # The index is eventually consistent: an upload sent to review a moment ago may be
        # missed here, and is then replaced by the member's next upload instead.
        return list(UploadModel.by_member.query(member_no, filter_condition=UploadModel.review_association.exists()))


DYNAMO = DynamoUploadRepository()
