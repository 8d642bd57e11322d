"""Wire collaborators in one place, lazily, once per cold start (see docs/architecture.md).

Routes and handlers ask for `deps()`; services take what they need as arguments, so tests can
pass fakes. `reset()` forgets everything (tests that change the environment call it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.config import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.mail import Mailer
    from chalicelib.photo.prepare_function import Preparer
    from chalicelib.storage import PhotoStore

# boto3, botocore and PynamoDB are imported inside the functions below, not here: every route
# module imports this one, and the API's cold start should not pay for them before a request
# needs storage (docs/architecture.md, "Cold start").

if TYPE_CHECKING:  # the rooms' repositories are imported lazily, when first asked for
    from chalicelib.auth.repository import AuthRepository
    from chalicelib.cert.repository import CertificateRepository
    from chalicelib.photo.repository import UploadRepository


@dataclass
class Deps:
    settings: Settings

    @cached_property
    def photos(self) -> PhotoStore:
        from chalicelib import aws
        from chalicelib.storage import PhotoStore

        return PhotoStore(aws.client("s3", self.settings.region), self.settings.photo_bucket)

    @cached_property
    def job_files(self) -> Any:
        from chalicelib import aws
        from chalicelib.jobs.files import JobFiles

        return JobFiles(aws.client("s3", self.settings.region), self.settings.photo_bucket)

    @cached_property
    def job_queue(self) -> Any:
        from chalicelib import aws
        from chalicelib.jobs.files import JobQueue

        return JobQueue(aws.client("sqs", self.settings.region), self.settings.jobs_queue)

    @cached_property
    def mailer(self) -> Mailer:
        from chalicelib.mail import build_mailer

        return build_mailer(self.settings)

    @cached_property
    def auth_store(self) -> AuthRepository:
        """The auth room's repository (accounts, captchas, throttles, denylist, reset codes)."""
        from chalicelib.auth.repository import DynamoAuthRepository

        return DynamoAuthRepository()

    @cached_property
    def uploads(self) -> UploadRepository:
        """The photo room's repository (uploads and the review queue)."""
        from chalicelib.photo.repository import DynamoUploadRepository

        return DynamoUploadRepository()

    @cached_property
    def certificates(self) -> CertificateRepository:
        """The certificate room's repository (the cache of signed certificates, the seals)."""
        from chalicelib.cert.repository import S3CertificateRepository

        return S3CertificateRepository(self.photos)

    @cached_property
    def members(self) -> Any:
        """The members room's door (`chalicelib.members.records`), for auth."""
        from chalicelib.members import records

        return records

    @cached_property
    def prepare_portrait(self) -> Preparer:
        """The photo auto-fix: in the `photo_prepare` function when the stage names one (only it
        carries the face layer), else in this process; `local` runs that function's handler here,
        behind the same JSON boundary as Lambda (chalicelib/photo/prepare_function.py)."""
        from chalicelib.photo import prepare_function as remote

        name = self.settings.photo_prepare_function
        if not name:
            return remote.in_process(lambda: self.face_engine)
        if name == remote.LOCAL:
            return remote.RemotePreparer(self.photos, remote.LocalInvoker(remote.lambda_handler))
        from chalicelib import aws

        return remote.RemotePreparer(self.photos, remote.LambdaInvoker(aws.invoke_client(self.settings.region), name))

    @cached_property
    def face_engine(self) -> Any:
        from chalicelib import aws
        from chalicelib.photo.faces import get_engine  # heavy: only the photo paths need it

        rekognition = None
        if self.settings.face.engine == "rekognition":
            rekognition = aws.client("rekognition", self.settings.region)
        return get_engine(self.settings.face, rekognition)


@lru_cache(maxsize=1)
def deps() -> Deps:
    from chalicelib import aws, batch, db

    settings = get_settings()
    db.bind(settings)
    batch.bind_client(aws.batch_client(settings.region))
    return Deps(settings)


def reset() -> None:
    from chalicelib import aws

    get_settings.cache_clear()
    deps.cache_clear()
    aws.reset()
