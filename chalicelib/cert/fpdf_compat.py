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
Every other font (`FPDF.add_font`) goes through fontTools as before. fpdf2's writing of the
font objects then builds a 128 KB glyph map as 131,072 one-character strings and compresses
every stream again; for fonts made of cut fonts only, `_add_cut_font` writes the same objects
(byte for byte) from bytes, and compresses an unchanged stream (the headline face) once. A
subset's character codes are taken in code point order (`register_subset`), so its glyph map
depends on the subset's size alone and is compressed once per size (`_glyph_maps`).

Parsing. Even a small font costs fpdf2 ~1.5 ms to read through fontTools. A program seen before
(the headline face: the same on every certificate of a layout) is parsed once and copied into
each document (`_ParsedFonts`); a new subset of a face already parsed (the body face, cut per
member) is derived from that parse and the subset's own character map and widths
(`register_subset`), which is everything fpdf2 reads from it that differs between subsets.

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

import copy
import functools
import hashlib
import threading
import zlib
from collections import OrderedDict, defaultdict
from io import BytesIO
from types import SimpleNamespace
from typing import Any, BinaryIO, Callable, Hashable, Sequence

import fpdf.output
import fpdf.syntax
from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.image_datastructures import RasterImageInfo
from fpdf.image_parsing import get_img_info
from fpdf.output import CIDSystemInfo, PDFFont, PDFFontStream
from fpdf.syntax import Name, PDFArray, PDFContentStream, PDFObject


def register_font(pdf: FPDF, family: str, font: bytes) -> None:
    """Make the TrueType font `font` available to `pdf.set_font(family)` (regular style)."""
    fontkey = _check_new_font(pdf, family)
    pdf.fonts[fontkey] = _parsed.font(pdf, fontkey, font)


def register_subset(pdf: FPDF, family: str, face: object, font: bytes,
                    glyphs: Sequence[tuple[int, int, int]]) -> None:
    """`register_font` for `font`, a subset of the font `face` (any hashable naming it) holding
    exactly `glyphs`: (code point, glyph id, advance in font units) in code point order.

    All subsets of one face share everything fpdf2 reads from a font but the character maps and
    widths; those we have (`glyphs`), so after the first subset of a face fontTools need not
    parse the others (`_ParsedFonts.derive`).

    The document's character codes for the subset are taken here, in code point order, instead
    of in the order the text first uses each character (fpdf2's `SubsetMap` hands out the next
    free code on first use; same glyphs, same text): the glyph ids of a subset follow code
    point order too, so the font's CIDToGIDMap (code -> glyph id, 128 KB before compression)
    depends only on how many glyphs the subset has and is compressed once per size
    (`_glyph_map_stream`), not once per certificate.
    """
    fontkey = _check_new_font(pdf, family)
    registered = pdf.fonts[fontkey] = _parsed.subset(pdf, fontkey, face, font, glyphs)
    for code_point, _, _ in glyphs:
        registered.subset.pick(code_point)


def _check_new_font(pdf: FPDF, family: str) -> str:
    if pdf.text_shaping:
        # shaping goes through HarfBuzz, which loads the font from `ttffile` as a path
        raise ValueError("in-memory fonts do not support fpdf2 text shaping")
    fontkey = family.lower()
    if fontkey in pdf.fonts:
        raise ValueError(f"font {family!r} already registered")
    return fontkey


class _CutProgram:
    """What fpdf2 reads from a derived font's `ttfont` after construction: the glyph ids by name,
    the program to embed (as for every cut font), and that it has no CFF outlines."""

    recalcBBoxes = False

    def __init__(self, program: bytes, glyph_order: list[str]) -> None:
        setattr(self, _CUT, program)
        self._ids = {name: gid for gid, name in enumerate(glyph_order)}

    def getGlyphID(self, name: str) -> int:  # noqa: N802 - fontTools' name
        return self._ids[name]

    def save(self, file: BinaryIO, *args: Any, **kwargs: Any) -> None:
        file.write(getattr(self, _CUT))

    def close(self) -> None:
        pass

    def __contains__(self, tag: str) -> bool:
        return False


class _ParsedFonts:
    """fpdf2's reading of a font program, kept per program and copied into each document.

    `TTFFont.__init__` has fontTools parse the program (cmap, metrics, every glyph record to look
    for .notdef), ~1.5 ms for our small fonts. The headline face's program is the same on every
    certificate of a layout, so it is parsed once and each document gets a copy holding its own
    per-document state (number, glyph subset, missing glyphs, font descriptor object); what is
    shared (the parsed fontTools font, metrics and maps) is only read after construction, and
    the embedded program is the bytes we built (see `_mark_cut`).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, TTFFont] = OrderedDict()
        self._faces: dict[object, TTFFont] = {}  # a parsed subset of each face, for `derive`
        self._lock = threading.Lock()

    def font(self, pdf: FPDF, fontkey: str, program: bytes) -> TTFFont:
        with self._lock:
            parsed = self._items.get(program)
            if parsed is not None:
                self._items.move_to_end(program)
        if parsed is None:
            parsed = TTFFont(pdf, BytesIO(program), fontkey, "")  # type: ignore[arg-type]  # a stream
            parsed.ttfont.recalcBBoxes = False
            _mark_cut(parsed.ttfont, program)
            if parsed.color_font is not None or parsed.is_cff:
                raise ValueError("in-memory fonts must be TrueType outlines without colour glyphs")
            parsed.ttfont.close = lambda: None  # shared between documents: fpdf2 must not close it
            with self._lock:
                self._items[program] = parsed
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return self._copy(pdf, fontkey, parsed)

    def subset(self, pdf: FPDF, fontkey: str, face: object, program: bytes,
               glyphs: Sequence[tuple[int, int, int]]) -> TTFFont:
        """The font of `program`, a subset of `face` holding `glyphs` (see `register_subset`)."""
        with self._lock:
            known = program in self._items
            model = self._faces.get(face)
        gids = [gid for _, gid, _ in glyphs]
        if known or model is None or len(set(gids)) != len(gids):
            ttf = self.font(pdf, fontkey, program)  # two characters on one glyph: fontTools names it
            with self._lock:
                self._faces.setdefault(face, ttf)
            return ttf
        return self.derive(pdf, fontkey, model, program, glyphs)

    @staticmethod
    def derive(pdf: FPDF, fontkey: str, model: TTFFont, program: bytes,
               glyphs: Sequence[tuple[int, int, int]]) -> TTFFont:
        """What fpdf2 would read from `program`, from a parsed subset `model` of the same face:
        the same face-wide fields (name, metrics, descriptor), the character maps and widths
        from `glyphs`, the glyph names fontTools gives a font without glyph names (post format
        3): the Adobe Glyph List name or uniXXXX of the glyph's character."""
        names = {gid: TTFont._makeGlyphName(cp) for cp, gid, _ in glyphs}
        ttf = _ParsedFonts._copy(pdf, fontkey, model)
        ttf.cmap = {cp: names[gid] for cp, gid, _ in glyphs}
        ttf.glyph_ids = {cp: gid for cp, gid, _ in glyphs}
        ttf.cw = defaultdict(model.cw.default_factory)  # type: ignore[attr-defined]  # fpdf2 makes a defaultdict
        for cp, _, advance in glyphs:
            ttf.cw[cp] = round(model.scale * (0 if advance == 65535 else advance) + 0.001)  # as fpdf2 rounds
        ttf.ttfont = _CutProgram(program, [".notdef"] + [names[gid] for gid in sorted(names)])
        ttf.subset = SubsetMap(ttf)
        return ttf

    @staticmethod
    def _copy(pdf: FPDF, fontkey: str, parsed: TTFFont) -> TTFFont:
        """A per-document copy of `parsed`: shared parse, its own number, subset and descriptor."""
        ttf = copy.copy(parsed)
        ttf.i = len(pdf.fonts) + 1
        ttf.fontkey = fontkey
        ttf.biggest_size_pt = 0
        ttf.missing_glyphs = []
        ttf.desc = copy.copy(parsed.desc)
        ttf.subset = SubsetMap(ttf)
        return ttf


# The two faces of each layout variant, and the body fonts of a few recent members.
_parsed = _ParsedFonts(size=8)


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


class _Kept:
    """`make(x)` by `key(x)`, least recently used evicted (thread-safe): what is the same on every
    certificate of a layout (the display font, its glyph map, its tables) is made once."""

    def __init__(self, size: int, key: Callable[[Any], Hashable], make: Callable[[Any], Any]) -> None:
        self._size, self._key, self._make = size, key, make
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __call__(self, value: Any) -> Any:
        key = self._key(value)
        with self._lock:
            out = self._items.get(key)
            if out is not None:
                self._items.move_to_end(key)
                return out
        out = self._make(value)
        with self._lock:
            self._items[key] = out
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return out


def _deflated_by(size: int, key: Callable[[Any], Hashable] = lambda x: x,
                 data: Callable[[Any], bytes] = lambda x: x) -> _Kept:
    """zlib output of `data(x)` by `key(x)`."""
    return _Kept(size, key, lambda value: zlib.compress(data(value), level=PDFContentStream._COMPRESSION_LEVEL))


_deflated = _deflated_by(16)


def _stream(cls: type[PDFContentStream], contents: bytes) -> PDFContentStream:
    """`cls(contents, compress=True)` with the compression memoised (same object, same bytes)."""
    stream = cls.__new__(cls)
    PDFObject.__init__(stream)
    stream._contents = _deflated(contents)
    stream.filter = Name("FlateDecode")
    stream.length = len(stream._contents)
    return stream


def _cid_to_gid_map(code_to_glyph: dict[int, int]) -> bytes:
    """fpdf2's CIDToGIDMap contents (two bytes per 16-bit code), built as bytes, not 131,072 str."""
    table = bytearray(256 * 256 * 2)
    for code, glyph in code_to_glyph.items():
        table[code * 2] = (glyph >> 8) & 0xFF
        table[code * 2 + 1] = glyph & 0xFF
    return bytes(table)


def _glyph_maps_of(size: int) -> _Kept:
    """Compressed CIDToGIDMap contents by the map's entries: with codes taken in code point order
    (`register_subset`) a map depends on the subset's size only, so a few dozen maps serve every
    certificate."""
    return _deflated_by(size, key=lambda code_to_glyph: tuple(sorted(code_to_glyph.items())), data=_cid_to_gid_map)


_glyph_maps = _glyph_maps_of(256)


def _glyph_map_stream(code_to_glyph: dict[int, int]) -> PDFContentStream:
    """`_stream(PDFContentStream, _cid_to_gid_map(code_to_glyph))`, compressed once per map."""
    stream = PDFContentStream.__new__(PDFContentStream)
    PDFObject.__init__(stream)
    stream._contents = _glyph_maps(code_to_glyph)
    stream.filter = Name("FlateDecode")
    stream.length = len(stream._contents)
    return stream


def _add_cut_font(producer: Any, font: TTFFont) -> PDFFont:
    """The PDF objects of a font marked as cut, exactly as fpdf2's `_add_fonts` writes a TrueType
    font (same objects, order and bytes; `test_fpdf_compat` compares), minus its slow parts: the
    CIDToGIDMap built as 131,072 one-character strings, and compressing unchanged streams again."""
    fontname = f"MPDFAA+{font.name}"
    code_to_glyph, widths, to_unicode_map = _font_tables(font)
    composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
    producer._add_pdf_obj(composite, "fonts")
    cid_font = PDFFont(subtype="CIDFontType2", base_font=fontname, d_w=font.desc.missing_width, w=widths)
    producer._add_pdf_obj(cid_font, "fonts")
    composite.descendant_fonts = PDFArray([cid_font])

    to_unicode = PDFContentStream(to_unicode_map)
    producer._add_pdf_obj(to_unicode, "fonts")
    composite.to_unicode = to_unicode

    system_info = CIDSystemInfo()
    producer._add_pdf_obj(system_info, "fonts")
    cid_font.c_i_d_system_info = system_info
    descriptor = font.desc
    descriptor.font_name = Name(fontname)
    producer._add_pdf_obj(descriptor, "fonts")
    cid_font.font_descriptor = descriptor

    glyph_map = _glyph_map_stream(code_to_glyph)
    producer._add_pdf_obj(glyph_map, "fonts")
    cid_font.c_i_d_to_g_i_d_map = glyph_map

    program: bytes = getattr(font.ttfont, _CUT)
    font_file = _stream(PDFFontStream, program)
    font_file.length1 = len(program)  # type: ignore[attr-defined]
    producer._add_pdf_obj(font_file, "fonts")
    descriptor.font_file2 = font_file  # type: ignore[attr-defined]

    font.subset.pick.cache_clear()
    font.subset.get_glyph.cache_clear()
    font.close()
    return composite


def _build_font_tables(font: TTFFont) -> tuple[dict[int, int], str, bytes]:
    """(code -> glyph id, the /W widths array, the ToUnicode CMap) of a cut font, as fpdf2's
    `_add_fonts` builds them from the font's subset."""
    code_to_glyph = {code: font.ttfont.getGlyphID(glyph.glyph_name)
                     for glyph, code in font.subset.items() if glyph is not None}
    bf_char = [f"<{code:04X}> <{''.join(f'{u:04X}' for u in glyph.unicode)}>\n"
               for glyph, code in font.subset.items()
               if glyph is not None and isinstance(glyph.unicode, tuple) and glyph.unicode]
    if any(u > 0xFFFF for glyph, _ in font.subset.items() if glyph is not None
           and isinstance(glyph.unicode, tuple) for u in glyph.unicode):
        raise ValueError("cut fonts hold Basic Multilingual Plane characters only")
    to_unicode = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n"
        "<0000> <FFFF>\nendcodespacerange\n"
        f"{fpdf.output._build_cmap_blocks(bf_char, 'bfchar')}"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("latin-1")
    return code_to_glyph, fpdf.output._tt_font_widths(font), to_unicode


def _font_tables_key(font: TTFFont) -> Hashable:
    """What a cut font's tables are a function of: the font program (glyph ids by name), the
    subset's glyphs (ids, characters, names, widths) and their codes."""
    return (getattr(font.ttfont, _CUT), tuple(
        (code,) if glyph is None else (code, glyph.glyph_id, glyph.unicode, glyph.glyph_name, glyph.glyph_width)
        for glyph, code in font.subset.items()))


_font_tables_kept = _Kept(8, _font_tables_key, _build_font_tables)


def _font_tables(font: TTFFont) -> tuple[dict[int, int], str, bytes]:
    """`_build_font_tables(font)`, kept (`_font_tables_key`): the headline face and its subset are
    the same on every certificate of a layout. The glyph map is the caller's own copy."""
    code_to_glyph, widths, to_unicode = _font_tables_kept(font)
    return dict(code_to_glyph), widths, to_unicode


_fpdf_add_fonts = fpdf.output.OutputProducer._add_fonts


def _add_fonts(producer: Any, *args: Any, **kwargs: Any) -> dict[int, Any]:
    """fpdf2's `_add_fonts`, with the fonts registered by `register_font` written by `_add_cut_font`."""
    fonts = producer.fpdf.fonts
    cut = {key: font for key, font in fonts.items()
           if isinstance(font, TTFFont) and getattr(font.ttfont, _CUT, None) is not None
           and not font.color_font and not font.is_cff}
    if len(cut) != len(fonts) or producer.fpdf._compliance:  # other fonts, or PDF/A: fpdf2 does all
        return _fpdf_add_fonts(producer, *args, **kwargs)
    return {font.i: _add_cut_font(producer, font) for font in sorted(cut.values(), key=lambda f: f.i)}


fpdf.output.OutputProducer._add_fonts = _add_fonts  # type: ignore[method-assign,assignment]


# Writing an object. fpdf2 serialises each PDF object (about 25 per certificate) from
# `{name: getattr(obj, name) for name in dir(obj)}`, and turns each snake_case name into a
# PDF key with `camel_case`. `dir()` walks and sorts every attribute of the object's class
# hierarchy for every object; what it adds to the instance's own attributes depends on the class
# alone, so it is kept per class (`_names`: the same sorted list `dir` returns, for objects
# without a `__dir__` of their own). `camel_case` is a pure function of its argument and is
# memoised. The objects, their keys and their order are unchanged (test_fpdf_compat compares
# the documents with fpdf2's own writing).
_class_names: dict[type, frozenset[str]] = {}


def _names(obj: object) -> list[str]:
    """`dir(obj)`: the instance's attributes and its class's, sorted."""
    kind = type(obj)
    if kind.__dir__ is not object.__dir__ or not hasattr(obj, "__dict__"):
        return dir(obj)
    inherited = _class_names.get(kind)
    if inherited is None:
        inherited = _class_names[kind] = frozenset(dir(kind))
    return sorted(inherited.union(obj.__dict__))


def _build_obj_dict(self: PDFObject, security_handler: Any = None) -> dict[str, object]:
    """fpdf2's `PDFObject._build_obj_dict`, with `dir(self)` as `_names(self)`."""
    return fpdf.syntax.build_obj_dict({key: getattr(self, key) for key in _names(self)},
                                      _security_handler=security_handler, _obj_id=self.id)


_fpdf_build_obj_dict = PDFObject._build_obj_dict
_fpdf_camel_case = fpdf.syntax.camel_case
PDFObject._build_obj_dict = _build_obj_dict  # type: ignore[method-assign]
fpdf.syntax.camel_case = functools.lru_cache(maxsize=1024)(fpdf.syntax.camel_case)


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
