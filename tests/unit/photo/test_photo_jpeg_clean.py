"""Marker-level JPEG parsing and the stored copy (metadata stripped, pixels kept, spec kept)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from chalicelib.photo import clean_copy, jpeg, spec_only
from chalicelib.photo.imaging import DecodeError


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def markers(data: bytes) -> list[int]:
    return [s.marker for s in jpeg.read_header(data).segments]


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB").tobytes()


def exif_blob(**tags: object) -> bytes:
    """An APP1 EXIF payload with identifying tags (Pillow's tobytes() includes the Exif prefix)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-1234"  # BodySerialNumber
    for key, value in tags.items():
        exif[int(key[1:])] = value
    return exif.tobytes()


def with_metadata(data: bytes, *, exif: bytes | None = None) -> bytes:
    """data with EXIF, XMP, IPTC, a comment and trailing bytes added; entropy data untouched."""
    extra = b""
    if exif is not None:
        extra += segment(0xE1, exif)
    extra += segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPS 39.9,116.4</x:xmpmeta>")
    extra += segment(0xED, b"Photoshop 3.0\x008BIM caption: private")
    extra += segment(0xFE, b"taken at home")
    app0 = jpeg.read_header(data).segments[0]
    assert app0.marker == jpeg.APP0
    return data[: app0.end] + extra + data[app0.end :] + b"TRAILING-ZIP-PAYLOAD" * 10


def test_header_facts_of_a_fixture(load) -> None:  # type: ignore[no-untyped-def]
    header = jpeg.read_header(load("spec_white", "obama_01.jpg"))
    assert (header.width, header.height, header.components, header.precision) == (178, 220, 3, 8)
    assert jpeg.SUPPORTED_SOF[header.sof] == "baseline"
    assert header.jfif_density == (1, 96, 96)
    assert jpeg.dpi_of(header) == (96.0, 96.0)
    assert jpeg.orientation_of(header) == 1


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "truncated"),
        (b"\x89PNG\r\n\x1a\n", "not_jpeg"),
        (b"\xff\xd8\xff\xd9", "no_scan"),
        (b"\xff\xd8\xff\xe0\x00\x01", "bad_length"),
    ],
)
def test_structural_errors(data: bytes, reason: str) -> None:
    with pytest.raises(jpeg.JpegError) as info:
        jpeg.read_header(data)
    assert info.value.reason == reason


def test_too_many_scans_is_refused(load) -> None:  # type: ignore[no-untyped-def]
    data = load("spec_white", "obama_01.jpg")
    sos = next(s for s in jpeg.read_header(data).segments if s.marker == jpeg.SOS)
    scan = data[sos.start : sos.end]
    bomb = data[: sos.end] + scan * (jpeg.MAX_SCANS + 1) + b"\xff\xd9"
    with pytest.raises(jpeg.JpegError) as info:
        jpeg.read_header(bomb)
    assert info.value.reason == "too_many_scans"


def test_clean_copy_strips_metadata_and_keeps_pixels_and_dpi(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    original = load("spec_white", "obama_02.jpg")
    dirty = with_metadata(original, exif=exif_blob())
    assert spec_only(dirty, fake_engine).status == "accepted"
    clean = clean_copy(dirty)
    assert clean == original  # a clean Pillow file: the copy is byte-identical
    assert b"SERIAL-1234" not in clean and b"GPS" not in clean and b"TRAILING" not in clean
    assert pixels(clean) == pixels(dirty)


def test_clean_copy_drops_comments_of_fixture(load) -> None:  # type: ignore[no-untyped-def]
    data = load("spec", "hopper_01.jpg")  # carries a Wikimedia COM segment
    clean = clean_copy(data)
    assert jpeg.COM in markers(data) and jpeg.COM not in markers(clean)
    assert pixels(clean) == pixels(data)


def test_clean_copy_moves_exif_only_dpi_into_jfif(load) -> None:  # type: ignore[no-untyped-def]
    data = load("spec_white", "obama_03.jpg")
    header = jpeg.read_header(data)
    app0 = header.segments[0]
    # Replace JFIF by an EXIF block that alone carries 150 dpi.
    exif = Image.Exif()
    exif[282], exif[283], exif[296] = 150.0, 150.0, 2
    exif_only = data[:2] + segment(0xE1, exif.tobytes()) + data[app0.end :]
    assert jpeg.dpi_of(jpeg.read_header(exif_only)) == (150.0, 150.0)
    clean = clean_copy(exif_only)
    assert jpeg.APP1 not in markers(clean)
    assert jpeg.read_header(clean).jfif_density == (1, 150, 150)
    assert pixels(clean) == pixels(data)


def test_clean_copy_reencodes_when_stripping_would_leave_the_band(load, to_jpeg, fake_engine) -> None:  # type: ignore[no-untyped-def]
    # A 9.x KB image that only metadata lifts over 10 KB: stripping alone would break size_bytes.
    image = Image.open(io.BytesIO(load("spec_white", "collins_01.jpg")))
    small = next(
        d for q in range(95, 40, -1) if 9 * 1024 <= len(d := to_jpeg(image, quality=q, dpi=(96, 96))) < 10 * 1024
    )
    exif = segment(0xE1, exif_blob())
    filler = segment(0xFE, b"c" * (10 * 1024 + 300 - len(small) - len(exif) - 4))
    app0 = jpeg.read_header(small).segments[0]
    padded = small[: app0.end] + exif + filler + small[app0.end :]
    assert spec_only(padded, fake_engine).status == "accepted"
    clean = clean_copy(padded)
    assert 10 * 1024 <= len(clean) <= 20 * 1024
    assert b"SERIAL-1234" not in clean and jpeg.COM not in markers(clean)
    assert spec_only(clean, fake_engine).status == "accepted"


def test_clean_copy_bakes_exif_orientation(load, fake_engine) -> None:  # type: ignore[no-untyped-def]
    upright = Image.open(io.BytesIO(load("spec_white", "obama_01.jpg")))
    exif = Image.Exif()
    exif[274] = 6
    buf = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(buf, "JPEG", quality=93, dpi=(96, 96), exif=exif.tobytes())
    clean = clean_copy(buf.getvalue())
    header = jpeg.read_header(clean)
    assert (header.width, header.height) == (178, 220) and header.exif is None
    assert spec_only(clean, fake_engine).status == "accepted"


def test_clean_copy_refuses_non_jpeg() -> None:
    with pytest.raises(DecodeError):
        clean_copy(b"not a jpeg")
