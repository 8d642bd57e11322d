"""Shared fixtures of the photo tests: the face fixtures, one real dlib engine per session, and a
fake engine for tests that exercise the pipeline rather than face recognition."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from chalicelib.config import FaceSettings
from chalicelib.photo.faces import FaceBox, FaceScan, MatchOutcome
from chalicelib.photo.imaging import Photo

FACES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"
NAMES = ("biden_01", "collins_01", "hopper_01", "obama_01", "obama_02", "obama_03")


class FakeEngine:
    """Finds one well-framed face in any photo and returns a fixed score: fast and predictable."""

    def __init__(self, name: str = "dlib", score: float | None = 0.3, faces: int = 1) -> None:
        self.name = name
        self.score = score
        self.faces = faces
        self.scans = 0

    def scan(self, photo: Photo) -> FaceScan:
        self.scans += 1
        w, h = photo.image.size
        box = FaceBox(0.25 * w, 0.30 * h, 0.75 * w, 0.70 * h, 1.0, 0.0)
        return FaceScan((box,) * self.faces, (w, h), state=None)

    def compare(self, probe: FaceScan, probe_photo: Photo, reference: Photo) -> MatchOutcome:
        return MatchOutcome(self.score)


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES


@pytest.fixture(scope="session")
def load() -> Callable[[str, str], bytes]:
    def _load(folder: str, name: str) -> bytes:
        path = FACES / folder / name
        if not path.suffix:
            path = next((FACES / folder).glob(f"{name}.*"))
        return path.read_bytes()

    return _load


@pytest.fixture(scope="session")
def dlib_engine():  # type: ignore[no-untyped-def]
    """The real embedded engine, models loaded once for the whole session."""
    from chalicelib.photo.dlib_engine import DlibEngine

    engine = DlibEngine()
    engine.warm_up()
    return engine


@pytest.fixture(scope="session")
def face_settings() -> FaceSettings:
    return FaceSettings()


@pytest.fixture(scope="session")
def fake_engine() -> FakeEngine:
    return FakeEngine()


def jpeg_bytes(image: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", **save)
    return buf.getvalue()


@pytest.fixture(scope="session")
def to_jpeg() -> Callable[..., bytes]:
    return jpeg_bytes


@pytest.fixture(scope="session")
def fake_engine_cls() -> type[FakeEngine]:
    return FakeEngine
