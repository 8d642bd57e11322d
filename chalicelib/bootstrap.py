"""Wire collaborators in one place, lazily, once per cold start (see docs/architecture.md).

Routes and handlers ask for `deps()`; services take what they need as arguments, so tests can
pass fakes. `reset()` forgets everything (tests that change the environment call it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from chalicelib import aws, batch, db
from chalicelib.config import Settings, get_settings
from chalicelib.mail import Mailer
from chalicelib.storage import PhotoStore


@dataclass
class Deps:
    settings: Settings

    @cached_property
    def photos(self) -> PhotoStore:
        return PhotoStore(aws.client("s3", self.settings.region), self.settings.photo_bucket)

    @cached_property
    def job_files(self) -> Any:
        from chalicelib.jobs.files import JobFiles

        return JobFiles(aws.client("s3", self.settings.region), self.settings.photo_bucket)

    @cached_property
    def job_queue(self) -> Any:
        from chalicelib.jobs.files import JobQueue

        return JobQueue(aws.client("sqs", self.settings.region), self.settings.jobs_queue)

    @cached_property
    def mailer(self) -> Mailer:
        return Mailer(aws.client("ses", self.settings.region), self.settings.mail_sender)

    @cached_property
    def members(self) -> Any:
        """The members room's door (`chalicelib.members.records`), for auth."""
        from chalicelib.members import records

        return records

    @cached_property
    def face_engine(self) -> Any:
        from chalicelib.photo.faces import get_engine  # heavy: only the photo paths need it

        rekognition = None
        if self.settings.face.engine == "rekognition":
            rekognition = aws.client("rekognition", self.settings.region)
        return get_engine(self.settings.face, rekognition)


@lru_cache(maxsize=1)
def deps() -> Deps:
    settings = get_settings()
    db.bind(settings)
    batch.bind_client(aws.batch_client(settings.region))
    return Deps(settings)


def reset() -> None:
    get_settings.cache_clear()
    deps.cache_clear()
    aws.reset()
