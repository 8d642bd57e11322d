"""Which review a staff user may open, on the in-memory upload repository (no moto): only their
own association's uploads, and only while they wait for a decision."""

from __future__ import annotations

import pytest

from chalicelib.errors import NotFound
from chalicelib.photo import service
from chalicelib.photo.models import UploadModel
from chalicelib.principal import ASSOCIATION_STAFF, Principal
from tests.fakes import FakeUploadRepository


def _staff(association: str) -> Principal:
    return Principal(username=f"staff:{association}", role=ASSOCIATION_STAFF, association=association)


def _waiting(repo: FakeUploadRepository) -> UploadModel:
    upload = UploadModel("u1", member_no="110000000001", association="110000", s3_key="uploads/110000000001/u1.jpg",
                         status="review", review_association="110000")
    repo.save(upload)
    return upload


def test_staff_of_the_association_open_a_waiting_review() -> None:
    repo = FakeUploadRepository()
    _waiting(repo)
    assert service._review(_staff("110000"), "u1", uploads=repo).upload_id == "u1"


def test_staff_of_another_association_do_not_see_it() -> None:
    repo = FakeUploadRepository()
    _waiting(repo)
    with pytest.raises(NotFound) as err:
        service._review(_staff("120000"), "u1", uploads=repo)
    assert err.value.code == "REVIEW_NOT_FOUND"


def test_a_decided_or_unknown_review_is_not_found() -> None:
    repo = FakeUploadRepository()
    upload = _waiting(repo)
    upload.status, upload.review_association = "accepted", None
    repo.save(upload)
    for review_id in ("u1", "nope"):
        with pytest.raises(NotFound):
            service._review(_staff("110000"), review_id, uploads=repo)
