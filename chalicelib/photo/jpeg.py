"""JPEG structure at the marker level: header facts without decoding, and lossless metadata removal.

Why this exists: the spec checks must know a file's real type, frame size, colour components and
resolution *before* any pixel is decoded (a 300-byte file can claim 30000×30000 pixels), and the
stored copy must lose its EXIF/XMP/comments without re-encoding (re-encoding changes the pixels
and can push the file out of the 10–20 KB band). Pillow cannot do either without decoding, so
this module walks the marker segments itself. It only reads; it never trusts a length without a
bounds check, and any structural problem raises :class:`JpegError`, which callers turn into a
clean ``format`` rejection.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

SOI = 0xD8
EOI = 0xD9
SOS = 0xDA
APP0 = 0xE0
APP1 = 0xE1
APP2 = 0xE2
APP14 = 0xEE
COM = 0xFE

# Start-of-frame markers (C0-CF) minus DHT (C4), JPG (C8) and DAC (CC), which share the range.
SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Baseline, extended sequential (8-bit, Huffman: any baseline decoder handles it) and progressive.
# Lossless, hierarchical and arithmetic-coded frames are refused: browsers, PDF renderers and
# Rekognition do not all read them.
SUPPORTED_SOF = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive"}
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}  # RSTn and TEM carry no length

# A real file has a few dozen segments and ~10 scans (progressive); thousands of scans are the
# known "progressive JPEG bomb" that makes a small file decode for seconds.
MAX_SEGMENTS = 4096
MAX_SCANS = 100

_EXIF_PREFIX = b"Exif\x00\x00"
_ICC_PREFIX = b"ICC_PROFILE\x00"


class JpegError(ValueError):
    """The bytes are not a structurally sound JPEG; ``reason`` is a short machine word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF that introduces the marker
    end: int  # offset just past the segment (for SOS: past its entropy-coded data)

    def payload(self, data: bytes) -> bytes:
        """The segment's content after marker and length (for SOS: header and scan data)."""
        return data[self.start + 4 : self.end]


@dataclass(frozen=True)
class JpegHeader:
    """What the markers say, before any decoding."""

    sof: int
    precision: int
    width: int
    height: int
    components: int
    scans: int
    jfif_density: tuple[int, int, int] | None  # (units, x, y); units 0 = aspect only, 1 = dpi, 2 = dpcm
    exif: bytes | None  # the APP1 payload including the "Exif\0\0" prefix
    adobe_transform: int | None  # APP14 colour transform: 0 = none (RGB/CMYK), 1 = YCbCr, 2 = YCCK
    segments: tuple[Segment, ...]
    end: int  # offset just past EOI; anything after it is trailing data

    @property
    def pixels(self) -> int:
        return self.width * self.height


def looks_like_jpeg(data: bytes) -> bool:
    """The magic bytes: SOI followed by the start of another marker."""
    return len(data) >= 3 and data[0] == 0xFF and data[1] == SOI and data[2] == 0xFF


def _skip_entropy(data: bytes, pos: int) -> int:
    """Offset of the first marker after entropy-coded data starting at ``pos``.

    Inside scan data 0xFF is followed by 0x00 (byte stuffing), by RSTn, or by more 0xFF fill bytes;
    anything else is a real marker and ends the scan. bytes.find keeps this fast on 20 KB files.
    """
    n = len(data)
    while True:
        i = data.find(b"\xff", pos)
        if i < 0 or i + 1 >= n:
            raise JpegError("truncated")
        nxt = data[i + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
            pos = i + 2
        elif nxt == 0xFF:
            pos = i + 1
        else:
            return i


def walk(data: bytes) -> tuple[list[Segment], int]:
    """Every segment from SOI to EOI, and the offset just past EOI.

    Raises JpegError on anything a strict reader would refuse: no SOI, a length running past the
    end, a missing EOI (a truncated upload), too many segments or scans.
    """
    if not looks_like_jpeg(data):
        raise JpegError("not_jpeg")
    n = len(data)
    pos = 2
    segments: list[Segment] = []
    scans = 0
    while True:
        if pos >= n:
            raise JpegError("truncated")
        if data[pos] != 0xFF:
            raise JpegError("garbage")
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise JpegError("truncated")
        marker = data[pos]
        start = pos - 1
        pos += 1
        if marker == EOI:
            if scans == 0:
                raise JpegError("no_scan")
            segments.append(Segment(EOI, start, pos))
            return segments, pos
        if marker == SOI:
            raise JpegError("garbage")
        if marker in _STANDALONE:
            continue
        if pos + 2 > n:
            raise JpegError("truncated")
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            raise JpegError("bad_length")
        end = pos + length
        if end > n:
            raise JpegError("truncated")
        if marker == SOS:
            scans += 1
            if scans > MAX_SCANS:
                raise JpegError("too_many_scans")
            end = _skip_entropy(data, end)
        segments.append(Segment(marker, start, end))
        if len(segments) > MAX_SEGMENTS:
            raise JpegError("too_many_segments")
        pos = end


def read_header(data: bytes) -> JpegHeader:
    """Parse the frame header and the metadata segments the spec checks need."""
    segments, end = walk(data)
    sof: Segment | None = None
    jfif: tuple[int, int, int] | None = None
    exif: bytes | None = None
    adobe: int | None = None
    scans = 0
    for seg in segments:
        m = seg.marker
        if m in SOF_MARKERS:
            if sof is not None:
                raise JpegError("multiple_frames")
            if scans:
                raise JpegError("frame_after_scan")
            sof = seg
        elif m == SOS:
            if sof is None:
                raise JpegError("scan_before_frame")
            scans += 1
        elif m == APP0 and jfif is None:
            p = seg.payload(data)
            if p[:5] == b"JFIF\x00" and len(p) >= 12:
                jfif = (p[7], (p[8] << 8) | p[9], (p[10] << 8) | p[11])
        elif m == APP1 and exif is None:
            p = seg.payload(data)
            if p.startswith(_EXIF_PREFIX):
                exif = p
        elif m == APP14 and adobe is None:
            p = seg.payload(data)
            if p[:5] == b"Adobe" and len(p) >= 12:
                adobe = p[11]
    if sof is None:
        raise JpegError("no_frame")
    p = sof.payload(data)
    if len(p) < 6:
        raise JpegError("bad_frame")
    precision = p[0]
    height = (p[1] << 8) | p[2]
    width = (p[3] << 8) | p[4]
    components = p[5]
    if len(p) < 6 + 3 * components:
        raise JpegError("bad_frame")
    return JpegHeader(
        sof=sof.marker,
        precision=precision,
        width=width,
        height=height,
        components=components,
        scans=scans,
        jfif_density=jfif,
        exif=exif,
        adobe_transform=adobe,
        segments=tuple(segments),
        end=end,
    )


def exif_tags(exif: bytes | None) -> dict[int, object]:
    """IFD0 tags of an APP1 payload, or {} when absent or unreadable (bad EXIF is not fatal)."""
    if not exif:
        return {}
    try:
        from PIL import Image

        parsed = Image.Exif()
        parsed.load(exif)
        return dict(parsed)
    except Exception:  # malformed TIFF structures: treat as no EXIF
        return {}


def dpi_of(header: JpegHeader) -> tuple[float, float] | None:
    """The resolution a reader would use: JFIF density when it has units, else EXIF, else None.

    JFIF comes first because that is what libjpeg-based readers (and Pillow) report; EXIF's
    ResolutionUnit defaults to inches per the EXIF spec when absent.
    """
    if header.jfif_density is not None:
        units, x, y = header.jfif_density
        if units in (1, 2) and x > 0 and y > 0:
            factor = 2.54 if units == 2 else 1.0
            return (x * factor, y * factor)
    tags = exif_tags(header.exif)
    try:
        xres, yres = tags.get(282), tags.get(283)
        unit = int(tags.get(296, 2))  # type: ignore[call-overload]
        if xres is None or yres is None or unit not in (2, 3):
            return None
        per_inch = 2.54 if unit == 3 else 1.0
        xdpi = float(xres) * per_inch  # type: ignore[arg-type]
        ydpi = float(yres) * per_inch  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not (0 < xdpi < 1e6 and 0 < ydpi < 1e6):  # also rejects NaN and infinities
        return None
    return (xdpi, ydpi)


def orientation_of(header: JpegHeader) -> int:
    """EXIF orientation 1-8; 1 when absent or nonsense."""
    value = exif_tags(header.exif).get(274, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def jfif_segment(dpi: tuple[float, float]) -> bytes:
    """A minimal JFIF 1.01 APP0 with the given density in dots per inch and no thumbnail."""
    x = max(1, min(65535, round(dpi[0])))
    y = max(1, min(65535, round(dpi[1])))
    body = b"JFIF\x00\x01\x01\x01" + x.to_bytes(2, "big") + y.to_bytes(2, "big") + b"\x00\x00"
    return b"\xff\xe0" + (len(body) + 2).to_bytes(2, "big") + body


def _keep(marker: int, payload_head: bytes) -> bool:
    """Which segments the stored copy keeps: everything needed to decode, plus colour meaning.

    Kept: tables, frame, scans, DRI, the Adobe APP14 (it says whether components are YCbCr or
    RGB/CMYK, so dropping it can change colours) and ICC profiles in APP2 (colour, not identity).
    Dropped: EXIF/XMP (APP1: GPS, camera serial, times), every other APPn (IPTC, MPF pointers to
    appended images, vendor blobs), comments. APP0 is rewritten by the caller.
    """
    if 0xE0 <= marker <= 0xEF:
        if marker == APP14:
            return payload_head.startswith(b"Adobe")
        if marker == APP2:
            return payload_head.startswith(_ICC_PREFIX)
        return False
    return marker != COM


def strip_metadata(data: bytes, dpi: tuple[float, float] | None) -> bytes:
    """The same compressed image without metadata, trailing data or JFIF thumbnail.

    The entropy-coded data is copied byte for byte, so the decoded pixels are identical. A
    JFIF APP0 carrying ``dpi`` is written right after SOI (where JFIF requires it), unless the file
    is an Adobe RGB-transform JPEG, where a JFIF marker would make libjpeg read RGB as YCbCr; then
    no APP0 is written and the caller must check whether the resolution survived.
    """
    header = read_header(data)
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    if dpi is not None and header.adobe_transform != 0:
        out.write(jfif_segment(dpi))
    for seg in header.segments:
        if seg.marker == APP0:
            continue
        if seg.marker == EOI:
            out.write(b"\xff\xd9")
            break
        if _keep(seg.marker, data[seg.start + 4 : seg.start + 4 + len(_ICC_PREFIX)]):
            out.write(data[seg.start : seg.end])
    return out.getvalue()
