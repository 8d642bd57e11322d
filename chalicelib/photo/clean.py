"""The stored copy of an accepted photo: the member's own pixels, without their metadata.

Why this exists: uploads from phones carry EXIF (GPS position, device serials, capture times),
XMP, comments and sometimes whole extra images after the end marker. None of that belongs in the
certificate store. Re-encoding would strip it too, but it changes the pixels the checks approved
and can push the file out of the 10–20 KB band, so the copy is made at the marker level:
the compressed image data is copied byte for byte and only metadata segments are dropped.

Two cases cannot be lossless, and are re-encoded (upright, best quality inside the band):
- EXIF orientation other than "normal": without EXIF the raw pixels would show rotated, and not
  every renderer (the certificate PDF among them) honours EXIF anyway; the spec checks looked at
  the upright image, so the stored copy is made upright.
- stripping would break the spec the original met: the metadata was what lifted a 10.1 KB file
  over 10 KB, or the resolution lived only in EXIF of an Adobe-RGB JPEG (where a JFIF marker
  cannot be added without changing how decoders read the colours).
"""

from __future__ import annotations

from . import jpeg
from .imaging import decode_jpeg, encode_in_band, parse_jpeg
from .spec import SPEC, PhotoSpec


def _in_band(data: bytes, spec: PhotoSpec) -> bool:
    return spec.min_bytes <= len(data) <= spec.max_bytes


def clean_copy(data: bytes, spec: PhotoSpec = SPEC) -> bytes:
    """The bytes to store for an accepted (or staff-confirmed) JPEG upload.

    Guarantees: no EXIF/XMP/IPTC/comments/trailing data; the resolution (dpi) is kept in a JFIF
    header; the pixels are identical unless the module docstring's two cases apply; if ``data``
    met the size/dimension/dpi rules, the result does too. Raises
    :class:`~chalicelib.photo.imaging.DecodeError` (a ValueError) for bytes that are not a usable
    JPEG — call it only on photos that passed the checks.
    """
    header = parse_jpeg(data)
    orientation = jpeg.orientation_of(header)
    dpi = jpeg.dpi_of(header)
    if orientation == 1:
        stripped = jpeg.strip_metadata(data, dpi)
        size_ok = _in_band(stripped, spec) or not _in_band(data, spec)
        dpi_ok = dpi is None or jpeg.dpi_of(jpeg.read_header(stripped)) is not None
        if size_ok and dpi_ok:
            return stripped
    decoded = decode_jpeg(data, max_pixels=spec.upload_max_pixels, header=header)
    keep_dpi = round(max(dpi)) if dpi is not None and min(dpi) + 0.5 >= spec.min_dpi else spec.set_dpi
    return encode_in_band(decoded.photo.image, spec, dpi=keep_dpi)
