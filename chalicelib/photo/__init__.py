"""The photo room: spec checks, face engines, uploads, the photo-check pipeline and reviews.

The judging and fitting of an ID photo (:mod:`.spec`, :mod:`.checks`, :mod:`.prepare`,
:mod:`.clean`) needs no AWS resource, so the SQS handler, the staff routes and the support CLI
share one code path and the tests can run it on plain bytes. :mod:`.service` applies a result to
the upload (:mod:`.models`, the review queue) and, through the members room's named changes, to
the member; :mod:`.rekognition` talks to AWS through a client it is given.
:mod:`.prepare_function` runs the auto-fix in the `photo_prepare` Lambda function where a stage
names one (only that function, not the API, then carries the face engine).

Public API (what routes and handlers call):

- :func:`check_photo` — member upload: spec rules + face_match → accepted / rejected / review.
- :func:`spec_only` — staff upload and auto-fix report: spec decides, comparison informs.
- :func:`clean_copy` — the bytes to store: metadata stripped at the marker level.
- :func:`prepare_portrait` — the auto-fix: any portrait → 178×220, 10–20 KB, 96 dpi candidate.
- :func:`get_engine` — the configured :class:`FaceEngine` (dlib or Rekognition).
- :class:`Check`, :class:`PhotoResult` — the reported result (``to_dict()`` is the API body).

Importing the package is light (route modules import it at every cold start): the names below
are resolved on first use (PEP 562), so Pillow loads with the first photo call, dlib/numpy with
the first dlib check, and boto3 only for the Rekognition engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks import FACE_MATCH, SPEC_RULES, Check, PhotoResult, check_photo, inspect_upload, spec_only
    from .clean import clean_copy
    from .faces import FaceBox, FaceEngine, FaceScan, FaceServiceUnavailable, MatchOutcome, band_for, get_engine
    from .imaging import DecodeError
    from .prepare import prepare_portrait
    from .spec import SPEC, PhotoSpec

_EXPORTS = {
    "FACE_MATCH": "checks",
    "SPEC_RULES": "checks",
    "Check": "checks",
    "PhotoResult": "checks",
    "check_photo": "checks",
    "inspect_upload": "checks",
    "spec_only": "checks",
    "clean_copy": "clean",
    "FaceBox": "faces",
    "FaceEngine": "faces",
    "FaceScan": "faces",
    "FaceServiceUnavailable": "faces",
    "MatchOutcome": "faces",
    "band_for": "faces",
    "get_engine": "faces",
    "DecodeError": "imaging",
    "prepare_portrait": "prepare",
    "SPEC": "spec",
    "PhotoSpec": "spec",
}

__all__ = [
    "FACE_MATCH",
    "SPEC",
    "SPEC_RULES",
    "Check",
    "DecodeError",
    "FaceBox",
    "FaceEngine",
    "FaceScan",
    "FaceServiceUnavailable",
    "MatchOutcome",
    "PhotoResult",
    "PhotoSpec",
    "band_for",
    "check_photo",
    "clean_copy",
    "get_engine",
    "inspect_upload",
    "prepare_portrait",
    "spec_only",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
