"""The face-engine interface, the three decision bands, and the engine factory.

Why this exists: the pipeline must not care whether faces are found by dlib in-process or by
Amazon Rekognition. Both engines answer the same two questions — "where are the faces in this
photo?" and "how alike is this photo's face to the reference's?" — and the pipeline turns the
engine's native score into accept / review / reject with the thresholds in
:class:`chalicelib.config.FaceSettings`.

Embeddings never leave an engine: a :class:`FaceScan` may hold one privately for the life of one
check (so the face is analysed once), and nothing here stores or returns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from chalicelib.config import FaceSettings
from chalicelib.errors import ServiceUnavailable

from .imaging import Photo

Band = Literal["accept", "review", "reject"]


class FaceServiceUnavailable(ServiceUnavailable):
    """The face engine failed for a reason that is not the photo's fault (throttling, outage,
    missing permission). The queue handler lets it propagate so the message is retried and, in
    the end, dead-lettered: the upload is never silently rejected because a service was down."""

    code = "FACE_SERVICE_UNAVAILABLE"
    message = "人脸比对服务暂时不可用,请稍后再试"


@dataclass(frozen=True)
class FaceBox:
    """One detected face in the pixel coordinates of the scanned (upright) image."""

    left: float
    top: float
    right: float
    bottom: float
    confidence: float | None = None
    roll_deg: float | None = None  # head tilt in the image plane, when the engine knows it

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0)

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)


@dataclass
class FaceScan:
    """The faces an engine found in one photo.

    ``state`` is engine-private working data (dlib: the pixel array, landmarks and, once
    computed, the embedding; Rekognition: the bytes it was sent). It lives only as long as the
    check that made it, so the same face is never analysed twice and nothing is kept across
    photos.
    """

    faces: tuple[FaceBox, ...]
    size: tuple[int, int]
    state: Any = field(default=None, repr=False)

    def largest(self) -> FaceBox | None:
        return max(self.faces, key=lambda f: f.area, default=None)


@dataclass(frozen=True)
class MatchOutcome:
    """An engine's comparison of a probe face with a reference photo.

    ``score`` is the engine's native measure (dlib: Euclidean distance, smaller is more alike;
    Rekognition: similarity in percent, larger is more alike). When the reference cannot be used
    (unreadable, no face), ``reference_problem`` says why and the pipeline sends the photo to
    staff review: that is not the member's fault. ``probe_problem`` is a fault of the upload
    that only the engine could see (e.g. Rekognition's quality filter dropped the face).
    """

    score: float | None
    reference_problem: str | None = None
    probe_problem: str | None = None


@runtime_checkable
class FaceEngine(Protocol):
    """What the photo pipeline needs from a face engine."""

    name: str

    def scan(self, photo: Photo) -> FaceScan:
        """Find every face in an upright photo."""
        ...

    def compare(self, probe: FaceScan, probe_photo: Photo, reference: Photo) -> MatchOutcome:
        """Compare the single face of ``probe`` with the main (largest) face of ``reference``."""
        ...


def band_for(engine: str, score: float, face: FaceSettings) -> Band:
    """Accept / staff review / reject for an engine's native score."""
    if engine == "rekognition":
        if score >= face.rekognition_accept_min_similarity:
            return "accept"
        if score >= face.rekognition_review_min_similarity:
            return "review"
        return "reject"
    if score <= face.dlib_accept_max_distance:
        return "accept"
    if score <= face.dlib_review_max_distance:
        return "review"
    return "reject"


def get_engine(face_settings: FaceSettings, rekognition_client: Any = None) -> FaceEngine:
    """The configured engine. Cheap: dlib models load on first use, boto3 only for Rekognition."""
    if face_settings.engine == "rekognition":
        from .rekognition import RekognitionEngine

        if rekognition_client is None:
            import boto3

            rekognition_client = boto3.client("rekognition")
        return RekognitionEngine(rekognition_client)
    if face_settings.engine == "dlib":
        from .dlib_engine import DlibEngine

        return DlibEngine()
    raise ValueError(f"unknown face engine {face_settings.engine!r}")
