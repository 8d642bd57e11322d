"""The auto-fix: ordinary portraits in, spec-sized candidates (and an honest report) out."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image

from chalicelib.photo import jpeg, prepare_portrait, spec_only
from chalicelib.photo.faces import FaceBox
from chalicelib.photo.imaging import encode_in_band
from chalicelib.photo.prepare import crop_box

ORIGINALS = ("biden_01.jpg", "collins_01.png", "hopper_01.jpg", "obama_01.jpg", "obama_02.jpg", "obama_03.jpg")
FITTED = {"format", "size_bytes", "dimensions", "dpi", "exactly_one_face", "face_size_and_position", "sharpness"}


def assert_fitted(candidate: bytes) -> None:
    assert 10 * 1024 <= len(candidate) <= 20 * 1024
    header = jpeg.read_header(candidate)
    assert (header.width, header.height) == (178, 220)
    assert jpeg.dpi_of(header) == (96.0, 96.0)
    assert header.exif is None and jpeg.COM not in [s.marker for s in header.segments]


@pytest.mark.parametrize("name", ORIGINALS)
def test_originals_become_spec_sized_candidates(name, load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    candidate, report = prepare_portrait(load("orig", name), dlib_engine)
    assert_fitted(candidate)
    passed = {c.rule for c in report.checks if c.ok}
    assert passed >= FITTED, report.to_dict()
    # The real backgrounds are kept and reported, never painted over.
    assert not report.check("background").ok
    assert report.status == "rejected" and report.message.startswith("照片不符合规格")
    assert report.score is None and report.check("face_match") is None


def test_report_is_the_same_as_checking_the_candidate(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    candidate, report = prepare_portrait(load("orig", "hopper_01.jpg"), dlib_engine)
    assert spec_only(candidate, dlib_engine) == report


def test_white_background_portrait_is_fully_accepted(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    # A larger portrait on white (the spec_white crop, upscaled with extra white margins).
    face = Image.open(io.BytesIO(load("spec_white", "obama_03.jpg"))).convert("RGB").resize((534, 660))
    canvas = Image.new("RGB", (900, 1100), "white")
    canvas.paste(face, (183, 300))
    buf = io.BytesIO()
    canvas.save(buf, "PNG")
    candidate, report = prepare_portrait(buf.getvalue(), dlib_engine)
    assert report.status == "accepted", report.to_dict()
    assert report.message == "照片符合规格"


def test_exif_orientation_is_honoured(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    # A phone stores the pixels sideways and says so in EXIF; HOG only finds upright faces.
    image = Image.open(io.BytesIO(load("orig", "obama_02.jpg")))
    exif = Image.Exif()
    exif[274] = 8
    buf = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_270).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    candidate, report = prepare_portrait(buf.getvalue(), dlib_engine)
    assert_fitted(candidate)
    assert report.check("exactly_one_face").ok and report.check("face_size_and_position").ok


def test_heic_and_cmyk_inputs(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    image = Image.open(io.BytesIO(load("orig", "obama_01.jpg")))
    image.thumbnail((400, 500))
    heic = io.BytesIO()
    image.save(heic, "HEIF", quality=60)
    assert heic.getvalue()[4:12] == b"ftypheic"
    candidate, report = prepare_portrait(heic.getvalue(), dlib_engine)
    assert_fitted(candidate)
    assert report.check("exactly_one_face").ok

    cmyk = io.BytesIO()
    Image.open(io.BytesIO(load("orig", "hopper_01.jpg"))).convert("CMYK").save(cmyk, "JPEG", quality=90)
    candidate, report = prepare_portrait(cmyk.getvalue(), dlib_engine)
    assert_fitted(candidate)
    assert report.check("format").ok and report.check("exactly_one_face").ok


def _png_bomb() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data, rule, fragment",
    [
        (b"", "format", "为空"),
        (b"just text" * 100, "format", "仅支持 JPEG、PNG 或 HEIC"),
        (b"GIF89a" + b"\x00" * 100, "format", "仅支持 JPEG、PNG 或 HEIC"),
        (b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024), "format", "超过 8 MB"),
        (_png_bomb(), "format", "过大"),
    ],
    ids=["empty", "text", "gif", "too-big", "png-bomb"],
)
def test_unusable_inputs_make_no_candidate(data, rule, fragment, fake_engine) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    candidate, report = prepare_portrait(data, fake_engine)
    assert time.perf_counter() - start < 0.1
    assert candidate == b""
    assert report.status == "rejected"
    assert fragment in report.check(rule).message


def test_no_face_makes_no_candidate(to_jpeg, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    candidate, report = prepare_portrait(to_jpeg(Image.new("RGB", (600, 800), (200, 220, 240))), dlib_engine)
    assert candidate == b""
    assert "未检测到人脸" in report.check("exactly_one_face").message


def test_crop_is_shifted_and_shrunk_inside_the_image_never_padded() -> None:
    region = crop_box(FaceBox(0, 0, 100, 100), (150, 150))  # a face in the corner of a small image
    left, top, right, bottom = region
    assert left >= 0 and top >= 0 and right <= 150 and bottom <= 150
    assert (right - left) / (bottom - top) == pytest.approx(178 / 220)
    centred = crop_box(FaceBox(400, 400, 600, 600), (1000, 2000))
    assert centred == pytest.approx((300, 252.8, 700, 747.2), abs=0.1)  # face box = half the width, centred


def test_size_band_is_reported_honestly_when_unreachable(fake_engine) -> None:  # type: ignore[no-untyped-def]
    flat = Image.new("RGB", (178, 220), (240, 240, 240))
    data = encode_in_band(flat)
    assert len(data) < 10 * 1024  # even q=100 at 4:4:4 cannot reach 10 KB for a flat picture
    assert not spec_only(data, fake_engine).check("size_bytes").ok


def test_phone_sized_photo(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(load("orig", "obama_01.jpg"))).convert("RGB")
    phone = image.crop((0, 0, 852, 1136)).resize((3000, 4000), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    phone.save(buf, "JPEG", quality=85)
    start = time.perf_counter()
    candidate, report = prepare_portrait(buf.getvalue(), dlib_engine)
    elapsed = time.perf_counter() - start
    assert_fitted(candidate)
    assert report.check("exactly_one_face").ok and report.check("sharpness").ok
    assert elapsed < 2.0, elapsed  # ~0.1 s here; generous for a shared CI machine
