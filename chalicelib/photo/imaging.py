"""Safe decoding of untrusted image bytes, and JPEG encoding into the spec's size band.

Why this exists: every image that reaches this system comes from a stranger. Decoding is the
dangerous step (bombs, truncated files, formats Pillow would happily guess), so it happens in one
place, under explicit format allowlists and pixel caps checked from the header *before* decoding,
and without touching Pillow's process-wide settings (``Image.MAX_IMAGE_PIXELS``,
``LOAD_TRUNCATED_IMAGES``) that other code in the process relies on.

Failures are :class:`DecodeError` with a Chinese message for the ``format`` rule; callers never
see a Pillow exception.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field

from PIL import Image

from . import jpeg
from .spec import SPEC, PhotoSpec

# EXIF orientation → the transpose that shows the image upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class DecodeError(ValueError):
    """The bytes cannot be used as an image; ``message`` is shown to the member."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    """A decoded, upright RGB image, plus the bytes it came from when those can be sent as-is.

    Cloud engines need encoded bytes: :meth:`encoded` gives the original JPEG/PNG when it exists
    and is small enough, otherwise a fresh JPEG of the pixels (e.g. for HEIC or a thumbnail).
    """

    image: Image.Image
    source: bytes | None = None
    _encoded: list[bytes] = field(default_factory=list, repr=False, compare=False)

    def encoded(self, max_bytes: int = 5 * 1024 * 1024) -> bytes:
        if self.source is not None and len(self.source) <= max_bytes:
            return self.source
        if not self._encoded:
            buf = io.BytesIO()
            self.image.save(buf, "JPEG", quality=92)
            self._encoded.append(buf.getvalue())
        return self._encoded[0]


def sniff(data: bytes) -> str | None:
    """The container format named by the magic bytes (never by file name or Content-Type)."""
    head = data[:32]
    if jpeg.looks_like_jpeg(head):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[4:8] == b"ftyp" and head[8:12] in {
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    }:
        return "AVIF" if head[8:12] == b"avif" else "HEIF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"%PDF":
        return "PDF"
    return None


def _not_jpeg_message(data: bytes) -> str:
    if not data:
        return "文件为空,请重新选择照片"
    kind = sniff(data)
    if kind and kind != "JPEG":
        return f"文件不是 JPEG 图片(实际为 {kind} 格式),请另存为 JPG 后重新上传"
    return "文件不是 JPEG 图片,无法识别其格式,请上传 JPG 照片"


_JPEG_REASON_MESSAGES = {
    "truncated": "JPEG 文件不完整(可能上传中断或已损坏),请重新保存后上传",
    "too_many_scans": "JPEG 文件结构异常(扫描段过多),拒绝解码",
    "too_many_segments": "JPEG 文件结构异常(数据段过多),拒绝解码",
}


def check_header(header: jpeg.JpegHeader, max_pixels: int, allow_cmyk: bool) -> None:
    if header.sof not in jpeg.SUPPORTED_SOF or header.precision != 8:
        raise DecodeError("不支持的 JPEG 编码方式(仅支持基线或渐进式 8 位 JPEG)", "unsupported_sof")
    if header.components == 4 and not allow_cmyk:
        # The checker refuses CMYK rather than converting: the stored copy must be the member's
        # own bytes, and a CMYK→RGB conversion means re-encoding with a colour guess (Adobe's
        # inverted CMYK is read differently by browsers and PDF tools). The auto-fix converts.
        raise DecodeError("照片为 CMYK 印刷色彩模式,请另存为 RGB 彩色 JPEG 后上传", "cmyk")
    if header.components not in (1, 3, 4):
        raise DecodeError("不支持的 JPEG 色彩模式", "components")
    if header.width == 0 or header.height == 0:
        raise DecodeError("JPEG 文件未声明图像尺寸,无法解码", "no_size")
    if header.pixels > max_pixels:
        raise DecodeError(
            f"图像像素尺寸过大({header.width}×{header.height}),拒绝解码", "too_many_pixels"
        )


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels become white, as a browser shows them on a white page.
        rgba = image.convert("RGBA")
        base = Image.new("RGB", rgba.size, (255, 255, 255))
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return image.convert("RGB")


@dataclass(frozen=True)
class DecodedJpeg:
    photo: Photo
    header: jpeg.JpegHeader
    orientation: int
    dpi: tuple[float, float] | None


def parse_jpeg(data: bytes) -> jpeg.JpegHeader:
    """The marker-level header of a JPEG, or DecodeError naming what the bytes really are."""
    if not jpeg.looks_like_jpeg(data):
        raise DecodeError(_not_jpeg_message(data), "not_jpeg")
    try:
        return jpeg.read_header(data)
    except jpeg.JpegError as exc:
        message = _JPEG_REASON_MESSAGES.get(exc.reason, "JPEG 文件结构损坏,无法解码")
        raise DecodeError(message, exc.reason) from None


def decode_jpeg(
    data: bytes,
    *,
    max_pixels: int = SPEC.upload_max_pixels,
    header: jpeg.JpegHeader | None = None,
    allow_cmyk: bool = False,
    draft_long_side: int | None = None,
) -> DecodedJpeg:
    """Fully decode a JPEG under a pixel cap, honour EXIF orientation, return upright RGB.

    The header is checked first (a 30000×30000 claim is refused in microseconds); then Pillow,
    restricted to its JPEG plugin, decodes every scan: a truncated or corrupt file fails here.
    ``draft_long_side`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale (DCT scaling) when the caller
    only needs that many pixels on the long side: a 12 Mpx phone photo then decodes in ~1/10 time.
    """
    if header is None:
        header = parse_jpeg(data)
    check_header(header, max_pixels, allow_cmyk)  # also when the caller parsed the header itself
    orientation = jpeg.orientation_of(header)
    dpi = jpeg.dpi_of(header)
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            if im.size != (header.width, header.height):
                raise DecodeError("JPEG 文件结构异常,无法解码", "size_mismatch")
            if draft_long_side is not None:
                long_side = max(im.size)
                if long_side > draft_long_side:
                    scale = draft_long_side / long_side
                    im.draft(im.mode, (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
            im.load()
            image = _rgb(_upright(im, orientation))
    except DecodeError:
        raise
    except Exception as exc:  # OSError (truncated/corrupt), SyntaxError, ValueError, MemoryError...
        raise DecodeError("JPEG 文件不完整或已损坏,无法解码", type(exc).__name__) from None
    return DecodedJpeg(Photo(image, source=data), header, orientation, dpi)


_heif_lock = threading.Lock()
_heif_ready = False


def _register_heif() -> bool:
    """Register pillow-heif's opener once, on first HEIC seen (it costs ~20 ms to import)."""
    global _heif_ready
    if not _heif_ready:
        with _heif_lock:
            if not _heif_ready:
                try:
                    import pillow_heif

                    pillow_heif.register_heif_opener()
                except Exception:
                    return False
                _heif_ready = True
    return True


@dataclass(frozen=True)
class ShapeLimits:
    """Header-level limits on an image's shape, checked before any pixel is decoded.

    ``full_decode_pixels`` applies to formats that cannot be decoded at reduced scale (PNG,
    HEIC): their cost grows with every pixel, whatever size the caller needs afterwards.
    """

    max_side: int
    max_aspect: float
    full_decode_pixels: int


def check_shape(width: int, height: int, limits: ShapeLimits, *, full_decode: bool) -> None:
    """Refuse empty, absurdly long or thin images, and over-large images that must be decoded
    in full, with a message the member can act on."""
    if width <= 0 or height <= 0:
        raise DecodeError("图片文件未声明图像尺寸,无法解码", "no_size")
    if max(width, height) > limits.max_side or max(width, height) > limits.max_aspect * min(width, height):
        raise DecodeError(
            f"图像尺寸异常({width}×{height}),请上传正常比例的人像照片", "absurd_shape"
        )
    if full_decode and width * height > limits.full_decode_pixels:
        raise DecodeError(
            f"图像像素尺寸过大({width}×{height}),请缩小后上传,或另存为 JPG 格式", "too_many_pixels"
        )


def decode_portrait(
    data: bytes,
    *,
    max_bytes: int = SPEC.prepare_max_bytes,
    max_pixels: int = SPEC.prepare_max_pixels,
    long_side: int | None = None,
    shape: ShapeLimits | None = None,
) -> Photo:
    """Decode an ordinary portrait (JPEG, PNG or HEIC from a phone) for the auto-fix or as a
    reference photo: upright RGB, optionally reduced so its long side is about ``long_side``.

    The pixel cap (and ``shape``, when given) is checked on the header-only open, before any
    pixel data is decoded.
    """
    if not data:
        raise DecodeError("文件为空,请重新选择照片", "empty")
    if len(data) > max_bytes:
        raise DecodeError(f"文件超过 {max_bytes // (1024 * 1024)} MB,请选择较小的照片", "too_big")
    kind = sniff(data)
    if kind == "JPEG":
        if shape is not None:
            header = parse_jpeg(data)
            check_shape(header.width, header.height, shape, full_decode=False)
        decoded = decode_jpeg(data, max_pixels=max_pixels, allow_cmyk=True, draft_long_side=long_side)
        photo = decoded.photo
    elif kind in ("PNG", "HEIF"):
        if kind == "HEIF" and not _register_heif():
            raise DecodeError("暂不支持 HEIC 照片,请另存为 JPG 后上传", "heif_unavailable")
        try:
            with Image.open(io.BytesIO(data), formats=[kind]) as im:
                w, h = im.size
                if shape is not None:
                    check_shape(w, h, shape, full_decode=True)
                if w * h > max_pixels or w == 0 or h == 0:
                    raise DecodeError(f"图像像素尺寸过大({w}×{h}),拒绝解码", "too_many_pixels")
                im.load()
                # PNG and HEIC carry orientation in EXIF too (phones write it for HEIC); pillow-heif
                # already applies the HEIF rotation box itself and resets the EXIF tag.
                orientation = im.getexif().get(274, 1)
                image = _rgb(_upright(im, orientation if isinstance(orientation, int) else 1))
        except DecodeError:
            raise
        except Image.DecompressionBombError:
            raise DecodeError("图像像素尺寸过大,拒绝解码", "too_many_pixels") from None
        except Exception as exc:  # OSError, SyntaxError, ValueError, MemoryError...
            raise DecodeError("图片文件已损坏或无法解码", type(exc).__name__) from None
        photo = Photo(image, source=data if kind == "PNG" else None)
    else:
        raise DecodeError("仅支持 JPEG、PNG 或 HEIC 格式的照片", "format")
    photo = _in_srgb(photo)
    if long_side is not None and max(photo.image.size) >= 2 * long_side:
        # Box reduction by a whole factor: fast, and the result keeps at least long_side.
        photo = Photo(photo.image.reduce(max(photo.image.size) // long_side))
    return photo


def reduced_copy(image: Image.Image, long_side: int) -> Image.Image:
    """``image`` box-reduced by the smallest whole factor that brings its long side to at most
    ``long_side`` (the image itself when it already fits): fast, and never above the cap."""
    factor = -(-max(image.size) // long_side)  # ceiling division
    return image if factor <= 1 else image.reduce(factor)


def _in_srgb(photo: Photo) -> Photo:
    """Pixels converted to sRGB when the file carries another ICC profile (phones shoot Display
    P3): the checks assume sRGB, and re-encoded JPEGs carry no profile."""
    icc = photo.image.info.get("icc_profile")
    if not icc:
        return photo
    try:
        from PIL import ImageCms

        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return photo
        converted = ImageCms.profileToProfile(photo.image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # a broken or exotic profile: keep the pixels as they are
        return photo
    return Photo(converted) if converted is not None else photo


def encode_jpeg(image: Image.Image, quality: int, subsampling: int, dpi: int) -> bytes:
    buf = io.BytesIO()
    # optimize=True builds per-image Huffman tables: smaller at the same quality, i.e. a higher
    # quality fits into 20 KB. Baseline (not progressive) for the widest reader support.
    # comment=b"": Pillow would otherwise copy a decoded file's COM text (im.info) into the new
    # file; no EXIF or XMP is passed, so the output carries nothing but JFIF and the image.
    image.save(
        buf, "JPEG", quality=quality, subsampling=subsampling, optimize=True, dpi=(dpi, dpi), comment=b""
    )
    return buf.getvalue()


def encode_in_band(image: Image.Image, spec: PhotoSpec = SPEC, dpi: int | None = None) -> bytes:
    """The best-quality JPEG of ``image`` whose size lies in the spec's band, if one exists.

    Binary search for the highest quality that still fits under the maximum (size grows with
    quality, near enough); 4:2:0 chroma first, then 4:4:4 when even q=100 stays under the minimum
    (more chroma detail is real image content, not padding). If nothing lands in the band the
    closest attempt is returned and the size rule reports it honestly. ``dpi`` defaults to the
    spec's 96.
    """
    dpi = dpi or spec.set_dpi
    best: bytes | None = None
    for subsampling in (2, 0):  # Pillow: 2 = 4:2:0, 0 = 4:4:4
        top = encode_jpeg(image, 100, subsampling, dpi)
        if len(top) < spec.min_bytes:
            best = top if best is None or len(top) > len(best) else best
            continue
        if len(top) <= spec.max_bytes:
            return top
        lo, hi = 1, 99  # invariant: size(hi + 1) > max
        found: bytes | None = None
        while lo <= hi:
            mid = (lo + hi) // 2
            candidate = encode_jpeg(image, mid, subsampling, dpi)
            if len(candidate) <= spec.max_bytes:
                found, lo = candidate, mid + 1
            else:
                hi = mid - 1
        if found is not None and len(found) >= spec.min_bytes:
            return found
        # The band is 10 KB wide, a quality step is a few hundred bytes: falling through means
        # a pathological image; keep the closest attempt.
        if found is not None:
            best = found if best is None or abs(len(found) - spec.min_bytes) < abs(len(best) - spec.min_bytes) else best
    assert best is not None
    return best
