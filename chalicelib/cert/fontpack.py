"""The bundled certificate fonts, read once per process, and tiny per-document fonts cut from them.

Why this module exists: the body font covers all 21,000 GBK ideographs (9 MB). Handing that file
to fpdf2 for every certificate is the slow part of rendering (profiled): `add_font` has fontTools
decode the cmap, derive 21,000 glyph names and read every metric and glyph offset, and `output`
runs the fontTools subsetter over the whole font; together 200 ms or more per document. A
certificate prints about 120 distinct characters, so we do the expensive part once per process
(table directory, cmap, metrics and glyph offsets, read with `struct`/`array`, 20-40 ms, no
glyph names) and then, per document, assemble a small but
complete TrueType font from the raw glyph records of exactly the characters that document
prints (well under a millisecond). fpdf2 embeds that small font through its ordinary path.

This works on our own build artefact (`scripts/build_font.py`), whose properties we rely on and
test: TrueType outlines without composite glyphs (each glyph record is self-contained), no
hinting programs, a single (3,1,4) cmap, every code point in the Basic Multilingual Plane.

A character the font lacks raises `GlyphMissing` naming it, before anything is drawn: a name must
never be printed with a character silently dropped.
"""

from __future__ import annotations

import struct
import sys
import threading
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from chalicelib.errors import AppError

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy comes with the face layer; without it, Python adds
    np = None  # type: ignore[assignment]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BODY_FONT = FONT_DIR / "NotoSerifCJKsc-Regular-GBK.ttf"
DISPLAY_FONT = FONT_DIR / "NotoSerifCJKsc-Bold-Display.ttf"

# Tables copied into every per-document font (hhea, maxp and head patched). OS/2, name and post
# are needed by PDF consumers and by fpdf2 for the font descriptor.
_COPIED = ("OS/2", "name", "post")


class GlyphMissing(AppError):
    """The certificate font cannot print some character of the data."""

    status, code, message = 422, "GLYPH_MISSING", "证书字体缺少字符"

    def __init__(self, chars: Iterable[str], font: str = "") -> None:
        listed = sorted(set(chars))
        shown = "、".join(f"“{c}”(U+{ord(c):04X})" for c in listed)
        super().__init__(
            f"证书字体缺少以下字符，无法生成证书：{shown}",
            chars=listed,
            codepoints=[f"U+{ord(c):04X}" for c in listed],
        )
        self.font = font


def _be_array(typecode: str, data: bytes | memoryview) -> array:
    """An array of big-endian integers from font data (native order on little-endian hosts)."""
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "little":
        values.byteswap()
    return values


def _checksum(data: bytes) -> int:
    """The sfnt checksum: the sum of the data as big-endian 32-bit words (zero-padded), mod 2³².
    With numpy the words are added in C (exactly: 64-bit sums of at most 2²⁶ words of < 2³²)."""
    padded = data + b"\0" * (-len(data) % 4)
    if np is not None and len(padded) < 1 << 28:
        return int(np.frombuffer(padded, dtype=">u4").sum(dtype=np.uint64)) & 0xFFFFFFFF
    return sum(_be_array("I", padded)) & 0xFFFFFFFF


class FontPack:
    """One bundled TrueType font: coverage checks and per-document subsets.

    Immutable after construction and safe to share between threads; one instance per process
    and font (see `body_font()` / `display_font()`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        self._data = data
        sfnt, num_tables = struct.unpack_from(">IH", data, 0)
        if sfnt != 0x00010000:
            raise ValueError(f"{path.name}: not a TrueType-outline font (run scripts/build_font.py)")
        self._tables: dict[str, memoryview] = {}
        view = memoryview(data)
        for i in range(num_tables):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self._tables[tag.decode("latin-1")] = view[offset:offset + length]

        head = self._tables["head"]
        self.units_per_em: int = struct.unpack_from(">H", head, 18)[0]
        long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        self.num_glyphs: int = struct.unpack_from(">H", self._tables["maxp"], 4)[0]
        num_hmetrics = struct.unpack_from(">H", self._tables["hhea"], 34)[0]

        entry = 4 if long_loca else 2
        loca = _be_array("I" if long_loca else "H", self._tables["loca"][: (self.num_glyphs + 1) * entry])
        self._loca = loca if long_loca else array("I", (2 * x for x in loca))  # short: offset / 2

        hmtx = self._tables["hmtx"]
        pairs = _be_array("H", hmtx[: 4 * num_hmetrics])
        advances, lsbs = pairs[0::2], pairs[1::2]
        tail = self.num_glyphs - num_hmetrics
        if tail > 0:  # the monospaced tail repeats the last advance, stores only side bearings
            advances.extend([advances[-1]] * tail)
            lsbs.extend(_be_array("H", hmtx[4 * num_hmetrics: 4 * num_hmetrics + 2 * tail]))
        self._advances = advances
        self._lsbs = lsbs  # raw uint16 of the int16 values: copied back unchanged

        self.cmap: dict[int, int] = self._read_cmap()

    def _read_cmap(self) -> dict[int, int]:
        cmap = self._tables["cmap"]
        count = struct.unpack_from(">H", cmap, 2)[0]
        for i in range(count):
            platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
            if (platform, encoding) == (3, 1) and struct.unpack_from(">H", cmap, offset)[0] == 4:
                break
        else:
            raise ValueError(f"{self.path.name}: no (3,1) format 4 cmap")
        seg_x2 = struct.unpack_from(">H", cmap, offset + 6)[0]
        segs = seg_x2 // 2
        base = offset + 14
        ends = _be_array("H", cmap[base: base + seg_x2])
        starts = _be_array("H", cmap[base + seg_x2 + 2: base + 2 * seg_x2 + 2])
        deltas = _be_array("H", cmap[base + 2 * seg_x2 + 2: base + 3 * seg_x2 + 2])
        range_base = base + 3 * seg_x2 + 2
        range_offsets = _be_array("H", cmap[range_base: range_base + seg_x2])
        mapping: dict[int, int] = {}
        for s in range(segs):
            start, end, delta, range_offset = starts[s], ends[s], deltas[s], range_offsets[s]
            if start == 0xFFFF:
                continue
            if range_offset == 0:
                mapping.update((cp, (cp + delta) & 0xFFFF) for cp in range(start, end + 1))
            else:
                for cp in range(start, end + 1):
                    at = range_base + 2 * s + range_offset + 2 * (cp - start)
                    gid = struct.unpack_from(">H", cmap, at)[0]
                    if gid:
                        mapping[cp] = (gid + delta) & 0xFFFF
        return {cp: gid for cp, gid in mapping.items() if gid}

    # -- coverage ---------------------------------------------------------------------------

    def missing(self, text: str) -> list[str]:
        """Characters of `text` this font cannot print, in order of first appearance."""
        cmap = self.cmap
        seen: dict[str, None] = {}
        for char in text:
            if ord(char) not in cmap and char not in seen:
                seen[char] = None
        return list(seen)

    def check(self, text: str) -> None:
        missing = self.missing(text)
        if missing:
            raise GlyphMissing(missing, font=self.path.name)

    def advance(self, char: str) -> float:
        """Advance width of one character in em (for layout before a PDF exists)."""
        return self._advances[self.cmap[ord(char)]] / self.units_per_em

    # -- per-document subsets ---------------------------------------------------------------

    def _plan(self, chars: Iterable[str]) -> tuple[list[int], list[tuple[int, int]]]:
        """(bundled glyph id per subset glyph id, (code point, subset glyph id) in code point order)."""
        wanted = sorted({ord(c) for c in chars} | {0x20})
        absent = [chr(cp) for cp in wanted if cp not in self.cmap]
        if absent:
            raise GlyphMissing(absent, font=self.path.name)
        glyph_ids = [0]  # new glyph id -> glyph id in the bundled font
        new_id: dict[int, int] = {}
        char_map: list[tuple[int, int]] = []
        for cp in wanted:
            old = self.cmap[cp]
            if old not in new_id:
                new_id[old] = len(glyph_ids)
                glyph_ids.append(old)
            char_map.append((cp, new_id[old]))
        return glyph_ids, char_map

    def subset_glyphs(self, chars: Iterable[str]) -> list[tuple[int, int, int]]:
        """(code point, glyph id, advance in font units) of every character `subset(chars)` maps,
        in code point order: what a PDF writer reads from that font's cmap and hmtx."""
        glyph_ids, char_map = self._plan(chars)
        return [(cp, gid, self._advances[glyph_ids[gid]]) for cp, gid in char_map]

    def subset(self, chars: Iterable[str]) -> bytes:
        """A complete TrueType font holding .notdef and the glyphs of `chars`.

        Raises `GlyphMissing` for characters the font lacks. The result depends only on the set
        of characters, so documents with the same text get byte-identical fonts.
        """
        glyph_ids, char_map = self._plan(chars)

        glyf = bytearray()
        loca = array("I", [0])
        hmtx = array("H")
        src = self._tables["glyf"]
        for old in glyph_ids:
            record = src[self._loca[old]: self._loca[old + 1]]
            glyf += record
            glyf += b"\0" * (-len(record) % 4)
            loca.append(len(glyf))
            hmtx.append(self._advances[old])
            hmtx.append(self._lsbs[old])
        if sys.byteorder == "little":
            loca.byteswap()
            hmtx.byteswap()
        count = len(glyph_ids)

        head = bytearray(self._tables["head"])
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        hhea = bytearray(self._tables["hhea"])
        struct.pack_into(">H", hhea, 34, count)
        maxp = bytearray(self._tables["maxp"])
        struct.pack_into(">H", maxp, 4, count)  # maxPoints etc. stay valid upper bounds

        tables = {
            "cmap": _format4_cmap(char_map),
            "glyf": bytes(glyf),
            "head": bytes(head),
            "hhea": bytes(hhea),
            "hmtx": hmtx.tobytes(),
            "loca": loca.tobytes(),
            "maxp": bytes(maxp),
            **{tag: bytes(self._tables[tag]) for tag in _COPIED},
        }
        return bytes(_assemble(tables))


def _format4_cmap(char_map: list[tuple[int, int]]) -> bytes:
    """A (3,1) format 4 cmap; runs of consecutive code points with consecutive glyphs merge."""
    segments: list[list[int]] = []  # [start, end, glyph id of start]
    for cp, gid in char_map:
        last = segments[-1] if segments else None
        if last and cp == last[1] + 1 and gid == last[2] + (cp - last[0]):
            last[1] = cp
        else:
            segments.append([cp, cp, gid])
    segments.append([0xFFFF, 0xFFFF, 1])  # the mandatory final segment
    n = len(segments)
    power = 1 << (n.bit_length() - 1)
    arrays = (
        struct.pack(f">{n}H", *(s[1] for s in segments))
        + b"\0\0"  # reservedPad
        + struct.pack(f">{n}H", *(s[0] for s in segments))
        + struct.pack(f">{n}H", *((s[2] - s[0]) & 0xFFFF for s in segments))
        + bytes(2 * n)  # idRangeOffset 0: every glyph id comes from idDelta
    )
    subtable = struct.pack(">7H", 4, 14 + len(arrays), 0, 2 * n, 2 * power,
                           power.bit_length() - 1, 2 * n - 2 * power) + arrays
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + subtable


def _assemble(tables: dict[str, bytes]) -> bytearray:
    """An sfnt file from its tables, checkSumAdjustment in `head` filled in."""
    tags = sorted(tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    out = bytearray(struct.pack(">IHHHH", 0x00010000, n, 16 * power, power.bit_length() - 1, 16 * (n - power)))
    offset = 12 + 16 * n
    blobs = bytearray()
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset + len(blobs)
        out += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset + len(blobs), len(data))
        blobs += data + bytes(-len(data) % 4)
    out += blobs
    struct.pack_into(">I", out, head_at + 8, (0xB1B0AFBA - _checksum(bytes(out))) & 0xFFFFFFFF)
    return out


_lock = threading.Lock()


@lru_cache(maxsize=None)
def _load(path: Path) -> FontPack:
    with _lock:
        return FontPack(path)


def body_font() -> FontPack:
    """The GBK body face (names, dates, numbers, sentences), loaded once per process."""
    return _load(BODY_FONT)


def display_font() -> FontPack:
    """The headline face (title, labels), loaded once per process."""
    return _load(DISPLAY_FONT)


def describe(char: str) -> str:
    """`喆 (U+5586 CJK UNIFIED IDEOGRAPH-5586)`, for logs and error messages."""
    return f"{char} (U+{ord(char):04X} {unicodedata.name(char, '?')})"
