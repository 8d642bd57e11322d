"""Spec rules on the fixtures and on hostile or malformed files generated here.

Each hostile case asserts the exact set of failing rules, so a file is rejected for the right
reason and for nothing else it does not deserve.
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image, ImageFilter

from chalicelib.photo import SPEC_RULES, check_photo, spec_only
from chalicelib.photo.checks import FACE_MATCH
from chalicelib.photo.imaging import encode_in_band
from chalicelib.photo.spec import laplacian_variance, white_border_fraction

NAMES = ("biden_01", "collins_01", "hopper_01", "obama_01", "obama_02", "obama_03")


def failing(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.rule for c in result.failed()}


def white_photo(load) -> bytes:  # type: ignore[no-untyped-def]
    return load("spec_white", "obama_01.jpg")


def with_jfif_density(data: bytes, units: int, x: int, y: int) -> bytes:
    """The same JPEG with its JFIF density rewritten in place (pixels and size unchanged)."""
    i = data.index(b"JFIF\x00")
    return data[: i + 7] + bytes([units]) + struct.pack(">HH", x, y) + data[i + 12 :]


def with_comment(data: bytes, added: int) -> bytes:
    """Insert COM segments adding exactly ``added`` (≥ 4) bytes after SOI (pixels unchanged)."""
    chunks = []
    while added > 0:
        n = min(added, 65537) - 4
        chunks.append(b"\xff\xfe" + struct.pack(">H", n + 2) + b"x" * n)
        added -= n + 4
    return data[:2] + b"".join(chunks) + data[2:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A 100-byte PNG whose header claims width×height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_bomb(to_jpeg, width: int = 30000, height: int = 30000) -> bytes:  # type: ignore[no-untyped-def]
    """A tiny real JPEG whose frame header is patched to claim width×height pixels."""
    data = bytearray(to_jpeg(Image.new("RGB", (16, 16), "white"), quality=50))
    i = data.index(b"\xff\xc0")
    data[i + 5 : i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# --- the fixtures ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_spec_white_passes_every_spec_rule(name, load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    result = spec_only(load("spec_white", f"{name}.jpg"), dlib_engine)
    assert result.status == "accepted", result.to_dict()
    assert [c.rule for c in result.checks] == list(SPEC_RULES)
    assert all(c.ok for c in result.checks)


@pytest.mark.parametrize("name", NAMES)
def test_spec_with_real_background_fails_background_only(name, load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    # Measured (see tests/fixtures/faces/PROVENANCE.md): all six real backgrounds fail the
    # README's band method, including collins_01's light grey studio wall (L* ~77 < 88).
    result = spec_only(load("spec", f"{name}.jpg"), dlib_engine)
    assert result.status == "rejected"
    assert failing(result) == {"background"}
    assert "白色" in result.check("background").message


def test_background_fraction_matches_a_float_reference(load) -> None:  # type: ignore[no-untyped-def]
    np = pytest.importorskip("numpy")

    def reference(image: Image.Image) -> float:
        a = np.asarray(image, dtype=float) / 255.0
        lin = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
        m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                      [0.0193339, 0.1191920, 0.9503041]])
        xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
        f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
        lightness, a_, b_ = 116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])
        h, w = lightness.shape
        band = np.zeros((h, w), bool)
        band[: round(h * 0.05)] = True
        band[: round(h * 0.6), : round(w * 0.06)] = True
        band[: round(h * 0.6), w - round(w * 0.06) :] = True
        white = (lightness >= 88) & (np.hypot(a_, b_) <= 8)
        return float(white[band].mean())

    for folder in ("spec", "spec_white"):
        for name in NAMES:
            image = Image.open(io.BytesIO(load(folder, f"{name}.jpg"))).convert("RGB")
            assert white_border_fraction(image) == pytest.approx(reference(image), abs=0.005)


def test_sharpness_separates_fixtures_from_blurred_copies(load) -> None:  # type: ignore[no-untyped-def]
    for name in NAMES:
        grey = Image.open(io.BytesIO(load("spec_white", f"{name}.jpg"))).convert("L").crop((45, 64, 131, 150))
        assert laplacian_variance(grey) > 400
        assert laplacian_variance(grey.filter(ImageFilter.GaussianBlur(1.5))) < 80


# --- hostile and malformed files ---------------------------------------------------------------


def test_truncated_jpeg_is_a_clean_format_rejection(load, fake_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    data = white_photo(load)
    for cut in (len(data) // 2, len(data) - 2, 700, 3):
        result = check_photo(data[:cut], data, fake_engine, face_settings)
        assert result.status == "rejected"
        assert not result.check("format").ok
        assert "不完整" in result.check("format").message or "损坏" in result.check("format").message
        # every rule is still reported
        assert [c.rule for c in result.checks] == [*SPEC_RULES, FACE_MATCH]


def test_png_named_jpg_is_rejected_on_format(load, fake_engine, face_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    Image.open(io.BytesIO(white_photo(load))).save(buf, "PNG")
    path = tmp_path / "photo.jpg"  # the name says JPEG; only the bytes count
    path.write_bytes(buf.getvalue())
    result = check_photo(path.read_bytes(), None, fake_engine, face_settings)
    assert result.status == "rejected"
    assert "format" in failing(result)
    assert "PNG" in result.check("format").message
    assert result.message.startswith("比对失败")


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "为空"),
        (b"hello, this is not a photo\n" * 200, "不是 JPEG"),
        (b"%PDF-1.7\n" + b"0" * 12000, "PDF"),
        (b"\xff\xd8\xff", "不完整"),
        (b"\xff\xd8\xff\xe0\x00\x02" + b"\x00" * 12000, "损坏"),
    ],
    ids=["empty", "text", "pdf", "soi-only", "garbage-after-soi"],
)
def test_non_images_are_clean_format_rejections(data, fragment, fake_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    result = check_photo(data, b"irrelevant", fake_engine, face_settings)
    assert result.status == "rejected"
    assert fragment in result.check("format").message
    assert not any(c.ok for c in result.checks if c.rule not in ("format", "size_bytes"))


def test_jpeg_decompression_bomb_is_rejected_from_the_header_fast(to_jpeg, fake_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    bomb = jpeg_bomb(to_jpeg)
    assert len(bomb) < 1000
    start = time.perf_counter()
    result = check_photo(bomb, None, fake_engine, face_settings)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05, elapsed
    assert result.status == "rejected"
    assert "30000×30000" in result.check("format").message
    # the header's size is still reported on the dimensions rule
    assert "30000×30000" in result.check("dimensions").message


def test_bombs_never_reach_the_engine(to_jpeg, fake_engine_cls, face_settings) -> None:  # type: ignore[no-untyped-def]
    engine = fake_engine_cls()
    for data in (jpeg_bomb(to_jpeg), png_bomb(), jpeg_bomb(to_jpeg, 65535, 65535)):
        start = time.perf_counter()
        result = check_photo(data, None, engine, face_settings)
        assert time.perf_counter() - start < 0.05
        assert not result.check("format").ok
    assert engine.scans == 0


def test_cmyk_jpeg_is_rejected_on_format(load, to_jpeg, fake_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    cmyk = Image.open(io.BytesIO(white_photo(load))).convert("CMYK")
    data = to_jpeg(cmyk, quality=80, dpi=(96, 96))
    result = check_photo(data, None, fake_engine, face_settings)
    assert result.status == "rejected"
    assert "CMYK" in result.check("format").message
    assert result.check("dimensions").ok  # read from the header, still reported
    assert result.check("dpi").ok


def test_72_dpi_fails_dpi_only(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    result = spec_only(with_jfif_density(white_photo(load), 1, 72, 72), dlib_engine)
    assert failing(result) == {"dpi"}
    assert "72 dpi" in result.check("dpi").message


def test_dpi_in_dots_per_cm_and_missing_dpi(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    data = white_photo(load)
    assert spec_only(with_jfif_density(data, 2, 38, 38), fake_engine).check("dpi").ok  # 96.5 dpi
    assert not spec_only(with_jfif_density(data, 2, 28, 28), fake_engine).check("dpi").ok  # 71 dpi
    missing = spec_only(with_jfif_density(data, 0, 1, 1), fake_engine).check("dpi")
    assert not missing.ok and "未记录" in missing.message


def test_dpi_from_exif_when_jfif_has_no_units(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(white_photo(load)))
    exif = Image.Exif()
    exif[282], exif[283], exif[296] = 300.0, 300.0, 2
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    data = with_jfif_density(buf.getvalue(), 0, 1, 1)
    assert spec_only(data, fake_engine).check("dpi").message == "分辨率 300 dpi,符合要求"


def test_25_kb_file_fails_size_only(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    data = with_comment(white_photo(load), 25 * 1024 - len(white_photo(load)))
    assert len(data) == 25 * 1024
    result = spec_only(data, dlib_engine)
    assert failing(result) == {"size_bytes"}
    assert "25.0 KB" in result.check("size_bytes").message


def test_size_band_bounds_are_inclusive(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    data = white_photo(load)
    assert spec_only(with_comment(data, 20 * 1024 - len(data)), fake_engine).check("size_bytes").ok
    assert not spec_only(with_comment(data, 20 * 1024 - len(data) + 1), fake_engine).check("size_bytes").ok


def test_356x440_fails_dimensions_only(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    big = Image.open(io.BytesIO(white_photo(load))).resize((356, 440), Image.Resampling.LANCZOS)
    data = encode_in_band(big)
    result = spec_only(data, dlib_engine)
    assert failing(result) == {"dimensions"}
    assert "356×440" in result.check("dimensions").message


def test_blank_white_image_fails_exactly_one_face(to_jpeg, dlib_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    data = to_jpeg(Image.new("RGB", (178, 220), "white"), quality=95, dpi=(96, 96))
    result = check_photo(data, data, dlib_engine, face_settings)
    assert result.status == "rejected"
    assert failing(result) >= {"exactly_one_face", "face_size_and_position", "sharpness", FACE_MATCH}
    assert "未检测到人脸" in result.check("exactly_one_face").message
    assert result.check("background").ok
    assert result.check("face_size_and_position").message == "未检测到人脸,未检查此项"
    assert "未检测到人脸,请上传本人正面免冠照片" in result.message


def test_blurred_photo_fails_sharpness_only(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(white_photo(load))).filter(ImageFilter.GaussianBlur(2))
    assert failing(spec_only(encode_in_band(image), dlib_engine)) == {"sharpness"}


def test_small_face_and_two_faces_fail_framing_and_count(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    face = Image.open(io.BytesIO(white_photo(load))).convert("RGB")
    small = face.resize((89, 110))
    life = Image.new("RGB", (178, 220), "white")
    life.paste(small, (0, 110))
    result = spec_only(encode_in_band(life), dlib_engine)
    assert result.check("exactly_one_face").ok
    assert "过小" in result.check("face_size_and_position").message

    pair = Image.new("RGB", (178, 220), "white")
    half = face.resize((98, 121))
    pair.paste(half, (0, 99))
    pair.paste(half, (80, 99))
    result = spec_only(encode_in_band(pair), dlib_engine)
    assert result.check("exactly_one_face").message == "检测到 2 张人脸,照片中只能有本人"


def test_tilted_head_fails_framing(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(white_photo(load))).convert("RGB")
    tilted = image.rotate(25, resample=Image.Resampling.BICUBIC, fillcolor="white")
    result = spec_only(encode_in_band(tilted), dlib_engine)
    assert failing(result) == {"face_size_and_position"}
    assert "倾斜" in result.check("face_size_and_position").message


def test_progressive_jpeg_is_accepted(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(white_photo(load)))
    for quality in range(100, 50, -1):
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality, progressive=True, dpi=(96, 96))
        if buf.tell() <= 20 * 1024:
            break
    result = spec_only(buf.getvalue(), dlib_engine)
    assert result.status == "accepted", result.to_dict()
    assert "渐进式" in result.check("format").message


def test_unsupported_jpeg_coding_is_rejected(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(white_photo(load))
    i = data.index(b"\xff\xc0")
    data[i + 1] = 0xC3  # lossless
    result = spec_only(bytes(data), fake_engine)
    assert "仅支持基线或渐进式" in result.check("format").message


def test_exif_orientation_is_honoured(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    # Raw pixels stored sideways (220×178) with EXIF orientation 6: shown upright as 178×220.
    upright = Image.open(io.BytesIO(white_photo(load)))
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[274] = 6
    buf = io.BytesIO()
    sideways.save(buf, "JPEG", quality=93, dpi=(96, 96), exif=exif.tobytes())
    result = spec_only(buf.getvalue(), dlib_engine)
    assert result.status == "accepted", result.to_dict()
    assert result.check("dimensions").message.startswith("尺寸 178×220")


def test_every_rule_reported_even_when_several_fail(to_jpeg, dlib_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    noisy = Image.effect_noise((356, 440), 80).convert("RGB")
    data = to_jpeg(noisy, quality=95, dpi=(72, 72))
    result = check_photo(data, None, dlib_engine, face_settings)
    assert [c.rule for c in result.checks] == [*SPEC_RULES, FACE_MATCH]
    assert failing(result) >= {"size_bytes", "dimensions", "dpi", "background", "exactly_one_face"}
    assert result.check("format").ok
    # the summary lists each real problem once, not the rules that could not run
    assert result.message.count(";") == 4
