"""The auto-fix: turn an ordinary portrait into a spec-sized candidate, and say what still fails.

Why this exists: the legacy system only rejected photos; members then fought with image editors
over 178×220 pixels and 10–20 KB. Here a phone photo (JPEG, PNG or HEIC, up to 8 MB) is read
upright, the face is found, a head-and-shoulders crop at 178:220 is cut around it, resized, and
encoded at the best JPEG quality that lands in the size band, at 96 dpi. The candidate goes
through the very same spec checks as an upload (:func:`~chalicelib.photo.checks.spec_only`),
and the member accepts it before uploading.

It never paints, blurs or replaces the background (reviewers reject edited photos), never
rotates a tilted head and never pads with invented pixels: whatever the crop cannot fix (a
coloured wall, a face too close to the edge, a blurred original) is reported, not hidden.

Speed (and resistance to hostile files): a 12 Mpx JPEG is decoded at 1/2–1/8 scale by libjpeg
(``draft``); PNG and HEIC, which cannot be decoded at reduced scale, are accepted up to 16 Mpx and
reduced right after decoding; absurd shapes are refused from the header. Faces are looked for on
a ~640 px copy, then on a copy of at most 900 px, never on anything larger; only when the face is
small in the frame is the JPEG decoded again, at the scale the crop needs.
"""

from __future__ import annotations

import logging

from PIL import Image

from chalicelib.errors import AppError

from .checks import SPEC_RULES, Check, PhotoResult, spec_only
from .faces import FaceBox, FaceEngine, FaceServiceUnavailable
from .imaging import DecodeError, Photo, ShapeLimits, decode_portrait, encode_in_band, reduced_copy, sniff
from .spec import SPEC, PhotoSpec

log = logging.getLogger(__name__)

WORK_LONG_SIDE = 1200  # decode target for the crop: ≥ 2.5× oversampling for a typical portrait
DETECT_LONG_SIDE = 640  # HOG finds faces ≥ 80 px (≥ 40 px with its upsampling fallback)
# The detector's cost grows with its input's area (×4 again when it falls back to upsampling):
# ~0.7 s for a 640² image and ~2.3 s for a 1200² one on a busy 2-core machine. No image handed
# to it is longer than this, whatever was uploaded; a face too small to be found at this size
# is too small for a certificate crop anyway.
DETECT_MAX_LONG_SIDE = 900


def shape_limits(spec: PhotoSpec = SPEC) -> ShapeLimits:
    return ShapeLimits(spec.prepare_max_side, spec.prepare_max_aspect, spec.prepare_max_full_decode_pixels)


def crop_box(box: FaceBox, size: tuple[int, int], spec: PhotoSpec = SPEC) -> tuple[float, float, float, float]:
    """The 178:220 region around a face box: the face box takes ``fit_face_width`` of the width,
    its centre sits mid-width and at ``fit_face_center_y`` of the height (the fixtures' framing).

    Never reaches outside the image: the region is shifted inside, and shrunk (keeping the aspect
    ratio) when the image is too small for it, which makes the face larger in the result and is
    then reported by the framing rule rather than hidden by padding.
    """
    width, height = size
    aspect = spec.width / spec.height
    crop_w = box.width / spec.fit_face_width
    crop_h = crop_w / aspect
    shrink = min(1.0, width / crop_w, height / crop_h)
    crop_w *= shrink
    crop_h *= shrink
    cx, cy = box.center
    left = min(max(cx - crop_w / 2.0, 0.0), width - crop_w)
    top = min(max(cy - spec.fit_face_center_y * crop_h, 0.0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def _scale_box(box: FaceBox, factor: float) -> FaceBox:
    return FaceBox(
        box.left * factor, box.top * factor, box.right * factor, box.bottom * factor, box.confidence, box.roll_deg
    )


# The one thing that is wrong, said first (the report's message); the other rules are reported
# as not checked, with no advice of their own.
NOT_A_PHOTO = "文件不是照片"
NO_FACE = "未检测到人脸"
NOT_CHECKED = "未检查"


def _failure(engine: FaceEngine, rule: str, message: str, decoded: bool, headline: str = "") -> PhotoResult:
    checks = []
    for name in SPEC_RULES:
        if name == rule:
            checks.append(Check(name, False, message))
        elif name == "format" and decoded:
            checks.append(Check("format", True, "照片已读取"))
        else:
            checks.append(Check(name, False, NOT_CHECKED, ran=False))
    return PhotoResult("rejected", checks, None, getattr(engine, "name", ""), headline or message)


def _find_face(engine: FaceEngine, work: Photo) -> FaceBox | None:
    """The largest face, looked for on a small copy first, then on a larger (capped) one."""
    attempts: list[tuple[Photo, float]] = []
    for cap in (DETECT_LONG_SIDE, DETECT_MAX_LONG_SIDE):
        image = reduced_copy(work.image, cap)
        if attempts and image.size == attempts[-1][0].image.size:
            continue
        photo = work if image is work.image else Photo(image)
        attempts.append((photo, work.image.width / image.width))
    for photo, scale in attempts:
        try:
            scan = engine.scan(photo)
        except AppError:
            raise
        except Exception as exc:
            log.exception("face engine failed during prepare")
            raise FaceServiceUnavailable() from exc
        face = scan.largest()
        if face is not None:
            return _scale_box(face, scale)
    return None


def prepare_portrait(data: bytes, engine: FaceEngine, spec: PhotoSpec = SPEC) -> tuple[bytes, PhotoResult]:
    """(candidate JPEG, its spec report) for any ordinary portrait; face_match is not run.

    The report is :func:`spec_only` on the candidate, so it is exactly what an upload of it would
    get on the spec rules. When no candidate can be made (not an image, too large, no face) the
    bytes are ``b""`` and the report's failing rule says why. Never raises on bad input; raises
    FaceServiceUnavailable only when the face engine itself is down.
    """
    try:
        kind = sniff(data)
        try:
            # Every format is reduced to about WORK_LONG_SIDE before any face work: JPEGs while
            # decoding (DCT scaling), PNG and HEIC right after (under a lower pixel cap).
            work = decode_portrait(
                data,
                max_bytes=spec.prepare_max_bytes,
                max_pixels=spec.prepare_max_pixels,
                long_side=WORK_LONG_SIDE,
                shape=shape_limits(spec),
            )
        except DecodeError as exc:
            # an image of another format (GIF, WebP...) keeps its own message; anything else is no photo
            headline = "" if kind in ("GIF", "WEBP", "BMP", "TIFF", "PNG", "HEIF", "AVIF", "JPEG") else NOT_A_PHOTO
            return b"", _failure(engine, "format", exc.message, decoded=False, headline=headline)

        face = _find_face(engine, work)
        if face is None:
            return b"", _failure(engine, "exactly_one_face", "未检测到人脸,无法自动裁剪,请使用正面免冠照片", True,
                                 headline=NO_FACE)
        region = crop_box(face, work.image.size, spec)
        source = work.image
        if kind == "JPEG" and (region[2] - region[0]) < 2 * spec.width:
            # A small face in a large photo: the draft-decoded copy has too few pixels for a sharp
            # crop, so decode at the scale that gives the crop 2× the output width (never more:
            # a 50 Mpx JPEG decoded in full costs seconds).
            needed = max(work.image.size) * 2 * spec.width / max(region[2] - region[0], 1.0)
            full = decode_portrait(data, max_bytes=spec.prepare_max_bytes, max_pixels=spec.prepare_max_pixels,
                                   long_side=int(needed) + 1)
            if full.image.width > source.width:
                factor = full.image.width / source.width
                region = crop_box(_scale_box(face, factor), full.image.size, spec)
                source = full.image
        fitted = source.resize(
            (spec.width, spec.height), Image.Resampling.LANCZOS, box=region, reducing_gap=3.0
        )
        candidate = encode_in_band(fitted, spec)
    except AppError:
        raise
    except Exception:  # a decoder or resampler surprise: report, never raise on input
        log.exception("prepare failed unexpectedly")
        return b"", _failure(engine, "format", "照片无法处理,请换一张照片", decoded=False)
    return candidate, spec_only(candidate, engine)
