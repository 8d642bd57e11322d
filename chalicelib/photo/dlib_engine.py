"""The embedded face engine: dlib's HOG detector, 5-point landmarks and ResNet embedding.

Why this exists: the local stack, the tests and the support CLI need real face comparison with
no cloud account. It is the measured engine of the shared fixtures (dlib 20, face-recognition-
models 0.3.0, no jitter): same person 0.32–0.53, different people ≥ 0.67.

Cold start matters (target: first check in a fresh process ≤ 800 ms), so only what is used is
loaded — the HOG detector, the 5-point predictor and the ResNet, never the 68-point or MMOD
models — once per process, lazily, under a lock. dlib's built-in HOG detector is rebuilt from a
compressed string on every ``get_frontal_face_detector()`` call (~300 ms); the identical detector
serialised to ``data/frontal_face_hog.svm`` loads in ~2 ms, and a test proves both give the same
detections. The model files are found with ``importlib.util.find_spec`` rather than by importing
``face_recognition_models``, whose ``__init__`` needs ``pkg_resources``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .faces import FaceBox, FaceScan, MatchOutcome
from .imaging import Photo

_DATA = Path(__file__).resolve().parent / "data"
HOG_DETECTOR_FILE = _DATA / "frontal_face_hog.svm"
# The shipped file is used only when it is exactly the one the equivalence test was run on.
HOG_DETECTOR_SHA256 = "f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426"
PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"


def models_dir() -> Path:
    """face-recognition-models' model folder, located without importing the package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _load_detector(dlib: Any) -> Any:
    try:
        blob = HOG_DETECTOR_FILE.read_bytes()
        if hashlib.sha256(blob).hexdigest() == HOG_DETECTOR_SHA256:
            return dlib.fhog_object_detector(os.fspath(HOG_DETECTOR_FILE))
    except (OSError, RuntimeError):
        pass
    return dlib.get_frontal_face_detector()


@dataclass
class _Models:
    detector: Any
    predictor: Any
    resnet: Any
    # dlib's detector scratch buffers and the ResNet's layer outputs are per object, not per
    # call: two threads in the same object would race. One lock per process; on two cores a
    # second concurrent check gains little anyway (see the fixtures README).
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls) -> "_Models":
        import dlib  # noqa: PLC0415 — deferred: ~10 ms, and absent where Rekognition is used

        try:
            import numpy  # noqa: F401, PLC0415 — dlib's API takes numpy arrays; dlib-bin does not require it
        except ImportError as exc:
            raise RuntimeError("the dlib face engine needs numpy: pip install numpy") from exc
        folder = models_dir()
        return cls(
            detector=_load_detector(dlib),
            predictor=dlib.shape_predictor(os.fspath(folder / PREDICTOR_FILE)),
            resnet=dlib.face_recognition_model_v1(os.fspath(folder / RESNET_FILE)),
        )


_models: _Models | None = None
_models_lock = threading.Lock()


def _get_models() -> _Models:
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = _Models.load()
    return _models


def _roll(shape: Any) -> float | None:
    """Head tilt from the 5-point landmarks: points 0-1 and 2-3 are the corners of each eye."""
    p = shape.parts()
    if len(p) < 4:
        return None
    ax, ay = (p[0].x + p[1].x) / 2.0, (p[0].y + p[1].y) / 2.0
    bx, by = (p[2].x + p[3].x) / 2.0, (p[2].y + p[3].y) / 2.0
    if ax < bx:
        ax, ay, bx, by = bx, by, ax, ay
    return math.degrees(math.atan2(ay - by, ax - bx))


@dataclass
class _DlibState:
    pixels: Any  # numpy array the landmarks refer to
    rects: list[Any]
    shapes: list[Any]
    embeddings: dict[int, list[float]] = field(default_factory=dict)


class DlibEngine:
    """HOG detection (one upsampling pass only when nothing is found), 5-point landmarks,
    ResNet embedding without jitter; the score is the Euclidean distance between embeddings."""

    name = "dlib"

    def warm_up(self) -> None:
        """Load the models now (e.g. at process start) instead of in the first check."""
        _get_models()

    def scan(self, photo: Photo) -> FaceScan:
        import numpy as np  # noqa: PLC0415 — only this engine needs numpy (dlib's array type)

        models = _get_models()
        image = photo.image if photo.image.mode == "RGB" else photo.image.convert("RGB")
        pixels = np.asarray(image)
        with models.lock:
            rects, scores, _ = models.detector.run(pixels, 0, 0.0)
            if len(rects) == 0:
                # At 178×220 the detector finds every fixture face without upsampling; half that
                # size needs one upsample (~4× the cost), so it runs only as a fallback.
                rects, scores, _ = models.detector.run(pixels, 1, 0.0)
            rects = list(rects)
            shapes = [models.predictor(pixels, r) for r in rects]
        faces = tuple(
            FaceBox(
                left=float(r.left()),
                top=float(r.top()),
                right=float(r.right() + 1),  # dlib rectangles are inclusive
                bottom=float(r.bottom() + 1),
                confidence=float(s),
                roll_deg=_roll(shape),
            )
            for r, s, shape in zip(rects, scores, shapes, strict=True)
        )
        return FaceScan(faces, photo.image.size, _DlibState(pixels, rects, shapes))

    def _embedding(self, scan: FaceScan, index: int) -> list[float]:
        state: _DlibState = scan.state
        if index not in state.embeddings:
            models = _get_models()
            with models.lock:
                vector = models.resnet.compute_face_descriptor(state.pixels, state.shapes[index], 0)
            state.embeddings[index] = list(vector)
        return state.embeddings[index]

    @staticmethod
    def _largest_index(scan: FaceScan) -> int | None:
        if not scan.faces:
            return None
        return max(range(len(scan.faces)), key=lambda i: scan.faces[i].area)

    def compare(self, probe: FaceScan, probe_photo: Photo, reference: Photo) -> MatchOutcome:
        probe_index = self._largest_index(probe)
        if probe_index is None or not isinstance(probe.state, _DlibState):
            return MatchOutcome(None, probe_problem="照片中未检测到人脸,无法比对")
        ref_scan = self.scan(reference)
        ref_index = self._largest_index(ref_scan)
        if ref_index is None:
            return MatchOutcome(None, reference_problem="参考照片中未检测到人脸")
        distance = math.dist(self._embedding(probe, probe_index), self._embedding(ref_scan, ref_index))
        return MatchOutcome(round(distance, 4))
