"""The one place that reaches past fpdf2's public API, for fonts and images held in memory.

Why it exists: two per-document costs of fpdf2 are work we can do once per process.

Fonts. `FPDF.add_font` only accepts a file path and then opens it with fontTools. Our
per-document fonts (`fontpack.FontPack.subset`) are a few kilobytes built in memory for each
certificate; writing each to a temporary file would tie a pure renderer to a writable file system
(Lambda has only /tmp) and to clean-up on every error path. fpdf2's `TTFFont` reads the font
through `fontTools.ttLib.TTFont`, which accepts any binary stream, so we construct it with one
and register it the way `add_font` does (`FPDF.fonts[fontkey]`). fontTools would also recompute
every glyph's bounding box when fpdf2 re-serialises the font at output (`TTFont.recalcBBoxes`),
decoding and re-encoding each outline; our glyph records come from a font fontTools compiled at
build time, so their boxes are exact already and we switch that off for these fonts only.

At output, fpdf2 runs the fontTools subsetter over every TrueType font and re-serialises it:
for our fonts, which hold exactly the glyphs the document prints already, that is about a third
of a certificate's rendering time spent to reproduce the same glyphs. Fonts registered here are
marked as cut already: fpdf2's subsetting step leaves them alone and the font program it embeds
is the one we built (same glyph order, so fpdf2's glyph-id mapping read from it stays right).
Every other font (`FPDF.add_font`) goes through fontTools as before.

Images. fpdf2 decodes, splits (colour / alpha) and deflates every image for every document;
for an association's seal, the same PNG on every certificate, that is the largest single cost.
`fpdf.image_parsing.get_img_info` (public) produces the processed form; we keep it per process
and seed each document's image cache (`FPDF.image_cache.images`, keyed the way fpdf2 keys
images given as bytes: the MD5 of the data), so `FPDF.image` finds it and skips the work.

Relies on fpdf2 2.8.x internals (`TTFFont(fpdf, path, fontkey, style)`, `FPDF.fonts`,
`TTFFont.ttfont`, the image-cache entry layout, `fpdf.output.ftsubset`); `tests/cert/test_fpdf_compat.py` pins the
behaviour, so an fpdf2 upgrade that changes them fails there first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from io import BytesIO
from types import SimpleNamespace
from typing import Any, BinaryIO

import fpdf.output
from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.image_datastructures import RasterImageInfo
from fpdf.image_parsing import get_img_info


def register_font(pdf: FPDF, family: str, font: bytes) -> None:
    """Make the TrueType font `font` available to `pdf.set_font(family)` (regular style)."""
    if pdf.text_shaping:
        # shaping goes through HarfBuzz, which loads the font from `ttffile` as a path
        raise ValueError("in-memory fonts do not support fpdf2 text shaping")
    fontkey = family.lower()
    if fontkey in pdf.fonts:
        raise ValueError(f"font {family!r} already registered")
    ttf = TTFFont(pdf, BytesIO(font), fontkey, "")  # type: ignore[arg-type]  # a stream, not a Path
    ttf.ttfont.recalcBBoxes = False
    _mark_cut(ttf.ttfont, font)
    pdf.fonts[fontkey] = ttf


_CUT = "_ecert_cut_font"


def _mark_cut(ttfont: TTFont, program: bytes) -> None:
    """Let fpdf2's output embed `program` as is (see the module docstring)."""
    setattr(ttfont, _CUT, program)

    def save(file: BinaryIO, *args: Any, **kwargs: Any) -> None:
        file.write(program)

    ttfont.save = save


class _Subsetter:
    """fontTools' `Subsetter` as fpdf2's output uses it, skipping fonts marked as cut already."""

    def __init__(self, options: ftsubset.Options) -> None:
        self._options = options
        self._glyphs: Any = None

    def populate(self, *, glyphs: Any = None, **kwargs: Any) -> None:
        self._glyphs, self._more = glyphs, kwargs

    def subset(self, font: TTFont) -> None:
        if getattr(font, _CUT, None) is not None:
            return
        real = ftsubset.Subsetter(self._options)
        real.populate(glyphs=self._glyphs or [], **self._more)
        real.subset(font)


fpdf.output.ftsubset = SimpleNamespace(
    Options=ftsubset.Options, Subsetter=_Subsetter)


def missing_glyphs(pdf: FPDF) -> list[str]:
    """Characters fpdf2 had to drop because the selected font lacked them (must be none)."""
    dropped: list[str] = []
    for font in pdf.fonts.values():
        dropped += [chr(cp) for cp in getattr(font, "missing_glyphs", ())]
    return dropped


class _ImageMemo:
    """Processed images by MD5 of their bytes, least recently used evicted (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, RasterImageInfo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, data: bytes) -> RasterImageInfo | None:
        with self._lock:
            info = self._items.get(key)
            if info is not None:
                self._items.move_to_end(key)
                return info
        info = get_img_info(key, BytesIO(data), "AUTO")
        if "iccp" in info and info["iccp"] is not None:
            return None  # ICC profiles are indexed per document: let fpdf2 handle those itself
        with self._lock:
            self._items[key] = info
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return info


# Seals (one per association, ~36) and the photos of a few recent members.
_images = _ImageMemo(size=64)


def preload_image(pdf: FPDF, data: bytes) -> BytesIO:
    """Seed `pdf` with the processed form of image `data`; returns what to pass to `pdf.image`.

    The first call per distinct image does fpdf2's usual decoding; later calls copy a dict.
    """
    key = hashlib.md5(data.strip(), usedforsecurity=False).hexdigest()  # fpdf2's own cache key
    cache = pdf.image_cache.images
    if key not in cache:
        info = _images.get(key, data)
        if info is not None:
            entry = RasterImageInfo(info)  # per-document copy: fpdf2 writes i/usages/obj_id into it
            entry["i"] = len(cache) + 1
            entry["usages"] = 0  # FPDF.image() counts the use
            entry["iccp_i"] = None
            cache[key] = entry
    return BytesIO(data)
