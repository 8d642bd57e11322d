"""A generated placeholder for an association's electronic seal, unmistakably a sample.

Why it exists: every association has its own seal image (configuration, passed to
`render_certificate` as PNG bytes). The local stack, the tests and new associations without a
configured seal need something in the seal area that looks like a seal for layout purposes yet
can never be mistaken for a real one: it says 样章 in the centre and SAMPLE 示例 at the bottom,
and its ring text is the association's name as given.

Drawn with Pillow using the bundled body font (no system fonts), at 2× and downsampled so the
ring and the characters have smooth edges. Deterministic: the same name gives the same bytes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from chalicelib.cert.fontpack import BODY_FONT, body_font

#: Printed diameter the certificate reserves for a seal (real Chinese official seals: 40-42 mm).
SEAL_MM = 40.0
SEAL_PX = 472  # 300 dpi at 40 mm
SEAL_RED = (205, 26, 32, 235)
SAMPLE_MARK = "样章"
SAMPLE_LINE = "SAMPLE 示例"


@lru_cache(maxsize=64)
def sample_seal(association_name: str) -> bytes:
    """A red round seal PNG (RGBA, transparent outside the ink) marked 样章 / SAMPLE 示例."""
    name = association_name.strip() or "注册会计师协会"
    body_font().check(name + SAMPLE_MARK + SAMPLE_LINE)
    scale = 2
    size = SEAL_PX * scale
    # Drawn as a coverage mask; the colour is applied uniformly at the end, which keeps the PNG
    # (and the image in every PDF) small: only the alpha channel carries information.
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    centre = size / 2
    ring = size * 0.030
    radius = size / 2 - ring / 2 - 2
    outer = radius + ring / 2
    draw.ellipse([centre - outer, centre - outer, centre + outer, centre + outer], outline=255, width=round(ring))

    _star(draw, centre, centre - size * 0.035, size * 0.12)
    # Long names get smaller characters so that the ring text never runs into the bottom lines.
    n = len(name)
    span = min(225.0, 28.0 * (n - 1)) if n > 1 else 0.0
    char = size * 0.105
    if n > 1:
        step = math.radians(span / (n - 1)) * (radius - ring / 2 - char * 0.72)
        char = min(char, step * 0.92)
    _arc_text(image, name, centre, radius - ring / 2 - char * 0.72, char, span)

    mark = ImageFont.truetype(str(BODY_FONT), round(size * 0.10))
    draw.text((centre, centre + size * 0.15), SAMPLE_MARK, font=mark, fill=255, anchor="mm",
              stroke_width=round(size * 0.004), stroke_fill=255)
    small = ImageFont.truetype(str(BODY_FONT), round(size * 0.05))
    draw.text((centre, centre + size * 0.255), SAMPLE_LINE, font=small, fill=255, anchor="mm",
              stroke_width=round(size * 0.002), stroke_fill=255)

    alpha = image.resize((SEAL_PX, SEAL_PX), Image.Resampling.LANCZOS)
    alpha = alpha.point(lambda v: v * SEAL_RED[3] // 255)
    red, green, blue = (Image.new("L", alpha.size, c) for c in SEAL_RED[:3])
    out = BytesIO()
    Image.merge("RGBA", (red, green, blue, alpha)).save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.382
        points.append((cx + rr * math.cos(angle), cy + rr * math.sin(angle)))
    draw.polygon(points, fill=255)


def _arc_text(image: Image.Image, text: str, cx: float, radius: float, size: float, span: float) -> None:
    """Characters along the upper arc, tops outward, as on a Chinese official seal.

    `span` is the angle (degrees) from the first to the last character's centre; real seals
    spread their ring text over up to about 225 degrees.
    """
    font = ImageFont.truetype(str(BODY_FONT), round(size))
    n = len(text)
    for i, char in enumerate(text):
        angle = -span / 2 + (span * i / (n - 1) if n > 1 else 0.0)  # 0 = top, clockwise
        glyph = Image.new("L", (round(size * 1.4), round(size * 1.4)), 0)
        # a thin stroke in the ink colour: seal characters are heavier than body text
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), char, font=font, fill=255,
                                   anchor="mm", stroke_width=max(1, round(size * 0.02)), stroke_fill=255)
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True)
        theta = math.radians(angle - 90)
        x = cx + radius * math.cos(theta) - glyph.width / 2
        y = cx + radius * math.sin(theta) - glyph.height / 2
        image.paste(255, (round(x), round(y)), mask=glyph)
