"""The photo spec (the legacy manual's ID-photo rules) as data, and the pure rules that need no face engine.

Why this exists: every limit the checker, the auto-fix and the stored copy must agree on lives
in one frozen object, so a change to the spec is one edit. Face-engine thresholds are not here;
they are deployment configuration in :class:`chalicelib.config.FaceSettings`.

The rule functions here work on already-decoded Pillow images and return plain numbers; the
pipeline in :mod:`chalicelib.photo.checks` turns them into reported checks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageCms, ImageFilter, ImageStat


@dataclass(frozen=True)
class PhotoSpec:
    """The legacy manual's spec plus the calibrated limits of the automatic checks."""

    width: int = 178
    height: int = 220
    # "10–20 KB" read as binary kilobytes, both ends inclusive: 10240 ≤ size ≤ 20480 bytes.
    # 10 KB is the bound that bites (q ≤ 85 often lands at 7–10 KB); 20480 is also the
    # presigned-POST policy's content-length-range maximum, so the two cannot disagree.
    min_bytes: int = 10 * 1024
    max_bytes: int = 20 * 1024
    # Resolutions derived from dots per centimetre are not integers (37.8 dpcm = 96.01 dpi).
    min_dpi: float = 96.0
    set_dpi: int = 96

    # Safe decoding. Pillow's own bomb limit is ~89 Mpx (error at ~179 Mpx): far too high for a
    # 39 kpx ID photo. An upload is decoded only up to 1 Mpx (25× the spec size, enough to report
    # every rule on an oversized-but-honest photo in a few ms); the auto-fix reads phone photos
    # up to 50 Mpx: phones save 12–24 Mpx by default, and the 48/50 Mpx full-sensor modes
    # (8064×6048, 8160×6120) must still work. JPEGs are decoded at reduced scale anyway.
    upload_max_pixels: int = 1_000_000
    upload_max_bytes: int = 8 * 1024 * 1024
    prepare_max_pixels: int = 50_000_000
    prepare_max_bytes: int = 8 * 1024 * 1024
    reference_max_pixels: int = 50_000_000

    # Background: the border-band method measured on the shared fixtures (see
    # tests/fixtures/faces/PROVENANCE.md): top 5 % of the height, and left/right 6 % of the width
    # over the top 60 % of the height (shoulders reach the lower sides); a pixel is white when
    # CIELAB L* ≥ 88 and chroma ≤ 8; pass at ≥ 85 % white.
    band_top: float = 0.05
    band_side: float = 0.06
    band_side_depth: float = 0.60
    white_min_lightness: float = 88.0
    white_max_chroma: float = 8.0
    white_min_fraction: float = 0.85

    # Framing, in fractions of the image, for a face box (dlib HOG or Rekognition). The fixtures'
    # head-and-shoulders crops measure box width 0.49–0.59, centre x 0.49–0.53, centre y
    # 0.49–0.53. A full-body or life photo puts the face at ≤ 0.25 of the width, or finds none.
    face_min_width: float = 0.30
    face_max_width: float = 0.80
    face_max_offset_x: float = 0.12
    face_min_center_y: float = 0.35
    face_max_center_y: float = 0.65
    face_max_roll_deg: float = 15.0

    # Sharpness: variance of the 4-neighbour Laplacian on the face box (8-bit grey). The fixtures
    # measure 428–2902; a Gaussian blur of σ 1.5 px brings them to 18–61 and upscaling from a
    # third of the resolution to 45–140. 80 keeps a 5× margin under every real photo.
    min_sharpness: float = 80.0

    # Auto-fix framing: where the face box lands in the 178×220 crop (from the fixtures' crops).
    fit_face_width: float = 0.50
    fit_face_center_y: float = 0.50

    @property
    def size_text(self) -> str:
        return f"{self.min_bytes // 1024}–{self.max_bytes // 1024} KB"


SPEC = PhotoSpec()

_lab_lock = threading.Lock()
_lab_transform: ImageCms.ImageCmsTransform | None = None


def _to_lab() -> ImageCms.ImageCmsTransform:
    """sRGB → CIELAB (D65) via LittleCMS, built once; Pillow's wheels always include LittleCMS."""
    global _lab_transform
    if _lab_transform is None:
        with _lab_lock:
            if _lab_transform is None:
                _lab_transform = ImageCms.buildTransform(
                    ImageCms.createProfile("sRGB"),
                    ImageCms.createProfile("LAB", colorTemp=6500),
                    "RGB",
                    "LAB",
                )
    return _lab_transform


def _square_table() -> list[int]:
    # Split out of a Pillow LAB image, the a* and b* channels hold the value + 128.
    return [min(255, (v - 128) ** 2) for v in range(256)]


_SQUARE = _square_table()


def _white_mask(region: Image.Image, spec: PhotoSpec) -> tuple[int, int]:
    """(white pixels, all pixels) of an RGB region, counted in C via lookup tables.

    chroma ≤ 8 is a*² + b*² ≤ 64; squares are clipped at 255, which cannot turn a non-white pixel
    white because the sum of two clipped squares stays above 64.
    """
    lab = ImageCms.applyTransform(region, _to_lab())
    assert lab is not None
    lightness, a, b = lab.split()
    l_min = spec.white_min_lightness * 255.0 / 100.0
    light = lightness.point(lambda v: 255 if v >= l_min else 0)
    c2 = ImageChops.add(a.point(_SQUARE), b.point(_SQUARE))
    limit = spec.white_max_chroma**2
    neutral = c2.point(lambda v: 255 if v <= limit else 0)
    both = ImageChops.multiply(light, neutral)
    return both.histogram()[255], region.width * region.height


def white_border_fraction(image: Image.Image, spec: PhotoSpec = SPEC) -> float:
    """Fraction of the border band (top strip + upper side strips) that is white."""
    w, h = image.size
    top = max(1, round(h * spec.band_top))
    side = max(1, round(w * spec.band_side))
    depth = max(top, round(h * spec.band_side_depth))
    boxes = [(0, 0, w, top)]
    if depth > top:
        boxes += [(0, top, side, depth), (w - side, top, w, depth)]
    white = total = 0
    for box in boxes:
        wc, tc = _white_mask(image.crop(box), spec)
        white += wc
        total += tc
    return white / total if total else 0.0


# mean of the 4 neighbours; the Laplacian is 4 × (that − centre)
_NEIGHBOURS = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, 0, 1, 0, 1, 0], scale=4, offset=0)


def laplacian_variance(grey: Image.Image) -> float:
    """Variance of the 4-neighbour Laplacian of an 8-bit grey image, computed in Pillow.

    Pillow's kernels only run on 8-bit images, so the difference (neighbour mean − centre) is
    stored halved around 128 and scaled back: Laplacian = 4·2·(stored − 128), variance × 64.
    The result matches a float implementation to within ~1 % on the fixtures.
    """
    if grey.width < 3 or grey.height < 3:
        return 0.0
    diff = ImageChops.subtract(grey.filter(_NEIGHBOURS), grey, scale=2.0, offset=128)
    inner = diff.crop((1, 1, grey.width - 1, grey.height - 1))
    return float(ImageStat.Stat(inner).var[0]) * 64.0
