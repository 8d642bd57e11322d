"""The certificate's QR code, drawn as vector rectangles with fpdf2.

Why vectors: the QR code must scan from a phone photo of a printout; vector modules stay crisp at
any printer resolution and cost a few hundred bytes. Each row's runs of dark modules become one
rectangle, which keeps the content stream small (about 300 rectangles for a version-5 code).
Runs of equal position in consecutive rows merge into one taller rectangle (about 20 % fewer).
"""

from __future__ import annotations

from functools import lru_cache

import segno
from fpdf import FPDF

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires


@lru_cache(maxsize=64)
def qr_rects(url: str) -> tuple[int, tuple[tuple[int, int, int, int], ...]]:
    """(size in modules, dark areas as (row, column, width, height) in modules) for `url`.

    Error correction M (15 %) survives a fold or a stain; segno raises it further when that does
    not enlarge the symbol.
    """
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    open_runs: dict[tuple[int, int], list[int]] = {}  # (column, width) -> [first row, last row]
    rects: list[tuple[int, int, int, int]] = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < width and row[x]:
                x += 1
            key = (start, x - start)
            run = open_runs.get(key)
            if run is not None and run[1] == y - 1:
                run[1] = y
            else:
                if run is not None:
                    rects.append((run[0], start, x - start, run[1] - run[0] + 1))
                open_runs[key] = [y, y]
    rects += [(first, col, w, last - first + 1) for (col, w), (first, last) in open_runs.items()]
    rects.sort()
    return len(matrix), tuple(rects)


def draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float,
            dark: tuple[int, int, int] = (20, 20, 20)) -> None:
    """Draw the QR code for `url` with its quiet zone as a white square of side `size` at (x, y)."""
    modules, rects = qr_rects(url)
    module = size / (modules + 2 * QUIET_ZONE)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(*dark)
    origin_x = x + QUIET_ZONE * module
    origin_y = y + QUIET_ZONE * module
    # A hair of overlap hides the seams some viewers' anti-aliasing shows between touching areas.
    overlap = module * 0.02
    for row, col, width, height in rects:
        pdf.rect(origin_x + col * module, origin_y + row * module, width * module + overlap,
                 height * module + overlap, style="F")
