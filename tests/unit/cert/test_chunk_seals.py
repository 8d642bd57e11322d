"""The seal memo of one batch of certificates, on the in-memory certificate repository: read
once per association, a missing seal remembered for the batch, a store failure not, and a new
batch reading the seal as it is now."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.cert.service import ChunkSeals, SealMissing
from chalicelib.storage import PhotoStoreUnavailable
from tests.fakes import FakeCertificateRepository


class CountingSeals(FakeCertificateRepository):
    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.failures = failures

    def get_seal(self, association: str) -> bytes | None:
        self.reads.append(association)
        if self.failures:
            self.failures -= 1
            raise PhotoStoreUnavailable()
        return super().get_seal(association)


def _deps(repo: CountingSeals, *, allow_sample_seal: bool = False) -> Any:
    return SimpleNamespace(certificates=repo, settings=SimpleNamespace(allow_sample_seal=allow_sample_seal))


def test_each_associations_seal_is_read_once_per_batch_and_a_new_batch_reads_it_again() -> None:
    repo = CountingSeals()
    repo.put_seal("110000", b"\x89PNG-old")
    repo.put_seal("310000", b"\x89PNG-shanghai")
    seals = ChunkSeals(_deps(repo))
    assert [seals("110000").png for _ in range(3)] == [b"\x89PNG-old"] * 3
    assert seals("310000").png == b"\x89PNG-shanghai"
    assert repo.reads == ["110000", "310000"]
    repo.put_seal("110000", b"\x89PNG-new")
    fresh = ChunkSeals(_deps(repo))("110000")
    assert fresh.png == b"\x89PNG-new" and fresh.seal_id != seals("110000").seal_id


def test_a_missing_seal_is_remembered_for_the_batch() -> None:
    repo = CountingSeals()
    seals = ChunkSeals(_deps(repo))
    for _ in range(2):
        with pytest.raises(SealMissing):
            seals("110000")
    assert repo.reads == ["110000"]
    sample = ChunkSeals(_deps(repo, allow_sample_seal=True))("110000")
    assert (sample.png, sample.seal_id) == (None, "sample")


def test_a_store_failure_is_not_remembered() -> None:
    repo = CountingSeals(failures=1)
    repo.put_seal("110000", b"\x89PNG-seal")
    seals = ChunkSeals(_deps(repo))
    with pytest.raises(PhotoStoreUnavailable):
        seals("110000")
    assert seals("110000").png == b"\x89PNG-seal" and repo.reads == ["110000", "110000"]
