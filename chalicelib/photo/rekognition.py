"""The cloud face engine: an adapter over Amazon Rekognition's DetectFaces and CompareFaces.

Why this exists: in AWS the dlib models are too heavy for the Lambda package, so the same
:class:`~chalicelib.photo.faces.FaceEngine` interface is served by Rekognition. This is the only
module of the photo package that knows about AWS. It is constructed with a boto3 ``rekognition``
client (so tests pass one wrapped in botocore's Stubber — never moto, whose CompareFaces returns a
canned match whatever the photos), returns our own values, and turns botocore errors into
:class:`~chalicelib.photo.faces.FaceServiceUnavailable` inside the adapter.

CompareFaces is called with ``SimilarityThreshold=0`` so the best match's similarity is always
returned (the accept / review / reject cut is ours, from FaceSettings) and with
``QualityFilter="AUTO"`` so blurred, dark or occluded faces are not compared at all.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .faces import FaceBox, FaceScan, FaceServiceUnavailable, MatchOutcome
from .imaging import Photo

log = logging.getLogger(__name__)

# Input problems with the *reference* photo: the comparison cannot run, staff decide.
_REFERENCE_ERRORS = frozenset(
    {"InvalidParameterException", "InvalidImageFormatException", "ImageTooLargeException"}
)
# Rekognition's own size limit for images passed as bytes.
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class RekognitionEngine:
    """Face detection and comparison by Amazon Rekognition; the score is a similarity in %."""

    name = "rekognition"

    def __init__(self, client: Any, *, min_confidence: float = 90.0, quality_filter: str = "AUTO") -> None:
        self._client = client
        # DetectFaces reports faces down to ~50 % confidence (posters, reflections); counting
        # those would refuse honest single-person photos.
        self._min_confidence = min_confidence
        self._quality_filter = quality_filter

    def _fail(self, operation: str, exc: Exception) -> FaceServiceUnavailable:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        # The AWS error code goes to the log, not to the member.
        log.warning("rekognition %s failed: %s", operation, code)
        return FaceServiceUnavailable()

    def scan(self, photo: Photo) -> FaceScan:
        data = photo.encoded(MAX_IMAGE_BYTES)
        try:
            response = self._client.detect_faces(Image={"Bytes": data}, Attributes=["DEFAULT"])
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("DetectFaces", exc) from exc
        width, height = photo.image.size
        faces = []
        for detail in response.get("FaceDetails", []):
            confidence = float(detail.get("Confidence", 0.0))
            if confidence < self._min_confidence:
                continue
            box = detail.get("BoundingBox", {})
            left = float(box.get("Left", 0.0)) * width
            top = float(box.get("Top", 0.0)) * height
            roll = detail.get("Pose", {}).get("Roll")
            faces.append(
                FaceBox(
                    left=left,
                    top=top,
                    right=left + float(box.get("Width", 0.0)) * width,
                    bottom=top + float(box.get("Height", 0.0)) * height,
                    confidence=confidence,
                    roll_deg=float(roll) if roll is not None else None,
                )
            )
        # The state is the exact bytes Rekognition saw, so CompareFaces looks at the same image.
        return FaceScan(tuple(faces), (width, height), state=data)

    def compare(self, probe: FaceScan, probe_photo: Photo, reference: Photo) -> MatchOutcome:
        target = probe.state if isinstance(probe.state, bytes) else probe_photo.encoded(MAX_IMAGE_BYTES)
        try:
            response = self._client.compare_faces(
                SourceImage={"Bytes": reference.encoded(MAX_IMAGE_BYTES)},
                TargetImage={"Bytes": target},
                SimilarityThreshold=0.0,
                QualityFilter=self._quality_filter,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _REFERENCE_ERRORS:
                # The upload already passed our decoder and DetectFaces found exactly one face in
                # it, so an input error here is about the reference (no usable face, bad file).
                log.info("rekognition CompareFaces refused the reference: %s", code)
                return MatchOutcome(None, reference_problem="参考照片中没有可用于比对的人脸")
            raise self._fail("CompareFaces", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("CompareFaces", exc) from exc
        similarities = [float(m.get("Similarity", 0.0)) for m in response.get("FaceMatches", [])]
        if not similarities:
            if response.get("UnmatchedFaces"):
                return MatchOutcome(0.0)
            # With threshold 0 every compared face is a "match"; none means the quality filter
            # dropped the upload's face.
            return MatchOutcome(None, probe_problem="照片中的人脸不够清晰或被遮挡,无法比对,请重新拍摄")
        return MatchOutcome(round(max(similarities), 2))
