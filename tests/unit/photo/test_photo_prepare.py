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
    assert report.message == "未检测到人脸"  # the one thing first
    later = [c for c in report.checks if c.rule in ("face_size_and_position", "sharpness")]
    assert later and all(c.state == "not_checked" and c.message == "未检查" for c in later)


def test_a_file_that_is_not_a_photo_says_so_first(fake_engine) -> None:  # type: ignore[no-untyped-def]
    _, report = prepare_portrait(b"%PDF-1.4 not a photo" * 50, fake_engine)
    assert report.message == "文件不是照片"
    assert report.check("format").state == "failed"
    others = [c for c in report.checks if c.rule != "format"]
    assert others and all(c.to_dict()["state"] == "not_checked" for c in others)


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


# -- hostile inputs: every format is reduced (or refused) before any face work ---------------------

class _RecordingEngine:
    """Records the size of every image handed to the detector; finds a face only if told to."""

    name = "dlib"

    def __init__(self, inner: object | None = None) -> None:
        self.inner = inner
        self.sizes: list[tuple[int, int]] = []

    def scan(self, photo):  # type: ignore[no-untyped-def]
        from chalicelib.photo.faces import FaceScan

        self.sizes.append(photo.image.size)
        if self.inner is None:
            return FaceScan((), photo.image.size, state=None)
        return self.inner.scan(photo)  # type: ignore[attr-defined]

    def compare(self, probe, probe_photo, reference):  # type: ignore[no-untyped-def]
        raise AssertionError("prepare never compares faces")


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@pytest.fixture(scope="module")
def hostile_pngs() -> dict[str, bytes]:
    return {
        "solid-7071": _png(Image.new("RGB", (7071, 7071), (200, 210, 220))),
        "grey-7071": _png(Image.linear_gradient("L").resize((7071, 7071))),
    }


@pytest.mark.parametrize("name", ["solid-7071", "grey-7071"])
def test_huge_pngs_are_refused_from_the_header_before_any_face_work(name, hostile_pngs) -> None:  # type: ignore[no-untyped-def]
    data = hostile_pngs[name]
    assert len(data) < 1024 * 1024  # small files: the cost would be in the pixels, not the bytes
    engine = _RecordingEngine()
    candidate, report = prepare_portrait(data, engine)
    assert candidate == b"" and engine.sizes == []
    message = report.check("format").message
    assert "7071×7071" in message and "JPG" in message


@pytest.mark.parametrize("size", [(20000, 600), (600, 3000), (12000, 9000)])
def test_absurd_shapes_are_refused(size) -> None:  # type: ignore[no-untyped-def]
    # A PNG header claims the size; the refusal comes before any pixel is inflated.
    width, height = size
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    engine = _RecordingEngine()
    candidate, report = prepare_portrait(data, engine)
    assert candidate == b"" and engine.sizes == []
    assert "图像尺寸异常" in report.check("format").message


def test_large_png_under_the_cap_is_reduced_before_the_face_scan() -> None:
    from chalicelib.photo.prepare import DETECT_MAX_LONG_SIDE

    engine = _RecordingEngine()  # finds no face: every detection attempt runs
    candidate, report = prepare_portrait(_png(Image.linear_gradient("L").resize((3000, 4000))), engine)
    assert candidate == b"" and "未检测到人脸" in report.check("exactly_one_face").message
    assert engine.sizes and max(max(s) for s in engine.sizes) <= DETECT_MAX_LONG_SIDE


def test_huge_jpeg_is_draft_decoded_and_scanned_small(fake_engine_cls) -> None:  # type: ignore[no-untyped-def]
    from chalicelib.photo.prepare import DETECT_MAX_LONG_SIDE

    buf = io.BytesIO()
    Image.new("RGB", (6000, 8000), (200, 210, 220)).save(buf, "JPEG", quality=80)
    missing = _RecordingEngine()
    prepare_portrait(buf.getvalue(), missing)
    assert missing.sizes and max(max(s) for s in missing.sizes) <= DETECT_MAX_LONG_SIDE
    found = _RecordingEngine(fake_engine_cls())
    candidate, _ = prepare_portrait(buf.getvalue(), found)
    assert candidate and max(max(s) for s in found.sizes) <= DETECT_MAX_LONG_SIDE


def test_pillow_bomb_guard_stays_on_and_above_our_caps() -> None:
    from chalicelib.photo.spec import SPEC

    # Our header checks refuse far earlier; Pillow's own guard remains as a second line.
    assert Image.MAX_IMAGE_PIXELS is not None
    assert SPEC.prepare_max_pixels < Image.MAX_IMAGE_PIXELS
    assert SPEC.prepare_max_full_decode_pixels < SPEC.prepare_max_pixels
