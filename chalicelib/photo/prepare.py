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

Speed: a 12 Mpx JPEG is decoded at 1/2–1/8 scale by libjpeg (``draft``), faces are looked for on
a ~640 px copy, and only when the face is small in the frame is the full resolution decoded
for the crop.
"""

from __future__ import annotations

import logging

from PIL import Image

from chalicelib.errors import AppError

from .checks import SPEC_RULES, Check, PhotoResult, spec_only
from .faces import FaceBox, FaceEngine, FaceServiceUnavailable
from .imaging import DecodeError, Photo, decode_portrait, encode_in_band, sniff
from .spec import SPEC, PhotoSpec

log = logging.getLogger(__name__)

WORK_LONG_SIDE = 1200  # decode target for the crop: ≥ 2.5× oversampling for a typical portrait
DETECT_LONG_SIDE = 640  # HOG finds faces ≥ 80 px (≥ 40 px with its upsampling fallback)


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


def _failure(engine: FaceEngine, rule: str, message: str, decoded: bool) -> PhotoResult:
    checks = []
    for name in SPEC_RULES:
        if name == rule:
            checks.append(Check(name, False, message))
        elif name == "format" and decoded:
            checks.append(Check("format", True, "照片已读取"))
        else:
            checks.append(Check(name, False, "未能生成照片,未检查此项", ran=False))
    return PhotoResult("rejected", checks, None, getattr(engine, "name", ""), f"无法自动生成证件照:{message}")


def _find_face(engine: FaceEngine, work: Photo) -> FaceBox | None:
    """The largest face, looked for on a small copy first, then on the working image."""
    long_side = max(work.image.size)
    factor = long_side // DETECT_LONG_SIDE
    attempts = []
    if factor >= 2:
        attempts.append((Photo(work.image.reduce(factor)), float(factor)))
    attempts.append((work, 1.0))
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
            work = decode_portrait(
                data,
                max_bytes=spec.prepare_max_bytes,
                max_pixels=spec.prepare_max_pixels,
                long_side=WORK_LONG_SIDE if kind == "JPEG" else None,
            )
        except DecodeError as exc:
            return b"", _failure(engine, "format", exc.message, decoded=False)

        face = _find_face(engine, work)
        if face is None:
            return b"", _failure(engine, "exactly_one_face", "未检测到人脸,无法自动裁剪,请使用正面免冠照片", True)
        region = crop_box(face, work.image.size, spec)
        source = work.image
        if kind == "JPEG" and (region[2] - region[0]) < 2 * spec.width:
            # A small face in a large photo: the draft-decoded copy has too few pixels for a sharp
            # crop, so decode at full resolution (rare: costs ~10× the draft decode).
            full = decode_portrait(data, max_bytes=spec.prepare_max_bytes, max_pixels=spec.prepare_max_pixels)
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
