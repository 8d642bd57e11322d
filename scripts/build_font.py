#!/usr/bin/env python3
"""Build the certificate fonts bundled in `chalicelib/cert/fonts/` (a committed build artefact).

Why a build step: the runtime must never download a font, and the Debian Noto CJK collections
are 25 MB each and hold five regional faces. We take the Simplified Chinese face and keep only
what a certificate can need:

* body face, Noto Serif CJK SC Regular: every CJK ideograph the GBK code page can encode
  (decoded from every valid GBK double-byte code, so rare name characters outside GB2312 such as
  喆 堃 玥 祎 昇 are covered), ASCII, Latin-1, general and CJK punctuation, full-width forms and
  the fixed body wording (`chalicelib.cert.wording.BODY_STRINGS`);
* headline face, Noto Serif CJK SC Bold: only the characters of the fixed headings and labels
  (`wording.DISPLAY_STRINGS`) plus ASCII, a few kilobytes.

Both are converted from CFF to TrueType (quadratic `glyf`) outlines. fpdf2 2.8.9 can embed CFF,
but the renderer builds a tiny per-document font by copying glyph records out of the bundled
font (see `chalicelib/cert/fontpack.py`); TrueType glyph records are self-contained, CFF
charstrings share subroutines and are not. gzip-compressed, the TrueType file is no bigger than
the CFF one (about 5.6 MB), which is what a deployment zip pays for.

Everything fpdf2 and the PDF do not use is dropped: hinting, OpenType layout (GSUB/GPOS/GDEF/
BASE), vertical metrics, glyph names, variation-sequence cmaps. Run it after changing
`chalicelib/cert/wording.py`:

    .venv/bin/python scripts/build_font.py          # about a minute on one core
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chalicelib.cert import wording  # noqa: E402  (after the path fix, no fpdf2 import)

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
OUT_DIR = REPO / "chalicelib" / "cert" / "fonts"
BODY_OUT = "NotoSerifCJKsc-Regular-GBK.ttf"
DISPLAY_OUT = "NotoSerifCJKsc-Bold-Display.ttf"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# Maximum deviation (font units, 1/1000 em) when approximating cubic curves by quadratic ones:
# 1 unit at a 40 pt title is 0.014 mm, far below what a printer or a screen shows.
CU2QU_MAX_ERR = 1.0
# name records kept: copyright, family, style, unique id, full name, version, PostScript name,
# trademark, manufacturer, vendor URL, designer URL, licence, licence URL (OFL needs 0 and 13/14).
NAME_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14]


def gbk_ideographs() -> set[str]:
    """Every CJK ideograph reachable through a valid GBK double-byte code."""
    found: set[str] = set()
    for lead in range(0x81, 0xFF):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
            try:
                char = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
            name = unicodedata.name(char, "")
            if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) or char == "〇":
                found.add(char)
    return found


def ranges(*spans: tuple[int, int]) -> set[str]:
    return {chr(cp) for lo, hi in spans for cp in range(lo, hi + 1)}


def body_charset() -> set[str]:
    chars = gbk_ideographs()
    chars |= ranges(
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),  # Latin-1: names of overseas members, ·, ×, °
        (0x2010, 0x2027),  # dashes, quotes, ellipsis, bullet
        (0x2030, 0x203B),  # per mille, primes, reference mark
        (0x3000, 0x303F),  # CJK symbols and punctuation: 、。〈〉《》「」『』【】〔〕〖〗
        (0xFF01, 0xFF5E),  # full-width ASCII forms
        (0xFF5F, 0xFFEF),  # half-width forms, full-width signs
    )
    for text in wording.BODY_STRINGS:
        chars |= set(text.replace("{name}", ""))
    return chars


def display_charset() -> set[str]:
    chars = ranges((0x0020, 0x007E))
    for text in wording.DISPLAY_STRINGS:
        chars |= set(text)
    return chars


def load_sc_face(collection: Path) -> TTFont:
    """The Simplified Chinese face of a Noto CJK collection, found by name, not by index."""
    faces = TTCollection(str(collection), lazy=True).fonts
    for index, face in enumerate(faces):
        ps_name = face["name"].getDebugName(6) or ""
        if re.fullmatch(r"NotoSerifCJKsc-\w+", ps_name):
            # reopen eagerly and alone: the subsetter rewrites tables shared within the TTC
            return TTFont(str(collection), fontNumber=index, recalcTimestamp=False)
    raise SystemExit(f"no Simplified Chinese (SC) face in {collection}")


def subset_face(font: TTFont, chars: set[str]) -> None:
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.glyph_names = False
    options.name_IDs = NAME_IDS
    options.name_languages = [0x409]
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)


def cff_to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by TrueType ones (simple glyphs only, no components)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # TrueType contours run the other way round from PostScript ones
        glyph_set[name].draw(Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    del font["CFF "]
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                 "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                 "maxComponentElements", "maxComponentDepth", "maxCompositePoints",
                 "maxCompositeContours"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names: the runtime works on glyph ids
    post.extraNames, post.mapping = [], {}
    font.sfntVersion = "\x00\x01\x00\x00"


def keep_bmp_cmap_only(font: TTFont) -> None:
    """One Windows Unicode BMP (3,1,4) subtable: everything we keep is in the BMP."""
    cmap = font["cmap"]
    best = font.getBestCmap()
    if any(cp > 0xFFFF for cp in best):
        raise SystemExit("unexpected non-BMP code point in the subset")
    table = next(t for t in cmap.tables if (t.platformID, t.platEncID, t.format) == (3, 1, 4))
    table.cmap = dict(best)
    cmap.tables = [table]


def build_face(collection: Path, chars: set[str], out: Path) -> TTFont:
    started = time.monotonic()
    font = load_sc_face(collection)
    subset_face(font, chars)
    cff_to_truetype(font)
    keep_bmp_cmap_only(font)
    font.save(str(out))
    covered = TTFont(str(out))["cmap"].getBestCmap()
    missing = sorted(c for c in chars if ord(c) not in covered)
    print(f"{out.name}: {out.stat().st_size / 1e6:.2f} MB, {font['maxp'].numGlyphs} glyphs, "
          f"{len(chars) - len(missing)} characters ({time.monotonic() - started:.0f} s)")
    if missing:
        shown = "".join(missing[:40])
        print(f"  not in the source face ({len(missing)}): {shown}")
    return font


def licence_text(source: TTFont) -> str:
    """The OFL 1.1 with the upstream copyright and reserved-name notice of Noto CJK."""
    copyright_line = source["name"].getDebugName(0) or "© 2014-2022 Adobe (http://www.adobe.com/)."
    head = (
        f"Copyright {copyright_line.rstrip('.').removeprefix('© ')}, "
        "with Reserved Font Name 'Source'.\n"
        "Source is a trademark of Adobe in the United States and/or other countries.\n"
        f"{source['name'].getDebugName(7) or ''}\n\n"
        "The files in this directory are subsets of Noto Serif CJK SC (Regular and Bold) made by\n"
        "scripts/build_font.py: glyphs outside the certificate's character set removed, outlines\n"
        "converted from CFF to TrueType, hinting and OpenType layout tables removed. They remain\n"
        "under the SIL Open Font License, Version 1.1, reproduced below.\n\n"
    )
    body = _ofl_from_debian() or OFL_1_1
    return head + body.strip() + "\n"


def _ofl_from_debian() -> str | None:
    if not DEBIAN_COPYRIGHT.exists():
        return None
    text = DEBIAN_COPYRIGHT.read_text(encoding="utf-8")
    match = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", text, re.M)
    if not match:
        return None
    lines = [line[1:] for line in match.group(1).splitlines()]
    return "\n".join("" if line == "." else line for line in lines)


OFL_1_1 = """\
-----------------------------------------------------------
SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007
-----------------------------------------------------------

PREAMBLE
The goals of the Open Font License (OFL) are to stimulate worldwide development of
collaborative font projects, to support the font creation efforts of academic and linguistic
communities, and to provide a free and open framework in which fonts may be shared and
improved in partnership with others.

The OFL allows the licensed fonts to be used, studied, modified and redistributed freely as
long as they are not sold by themselves. The fonts, including any derivative works, can be
bundled, embedded, redistributed and/or sold with any software provided that any reserved
names are not used by derivative works. The fonts and derivatives, however, cannot be released
under any other type of license. The requirement for fonts to remain under this license does
not apply to any document created using the fonts or their derivatives.

DEFINITIONS
"Font Software" refers to the set of files released by the Copyright Holder(s) under this
license and clearly marked as such. This may include source files, build scripts and
documentation.

"Reserved Font Name" refers to any names specified as such after the copyright statement(s).

"Original Version" refers to the collection of Font Software components as distributed by the
Copyright Holder(s).

"Modified Version" refers to any derivative made by adding to, deleting, or substituting -- in
part or in whole -- any of the components of the Original Version, by changing formats or by
porting the Font Software to a new environment.

"Author" refers to any designer, engineer, programmer, technical writer or other person who
contributed to the Font Software.

PERMISSION & CONDITIONS
Permission is hereby granted, free of charge, to any person obtaining a copy of the Font
Software, to use, study, copy, merge, embed, modify, redistribute, and sell modified and
unmodified copies of the Font Software, subject to the following conditions:

1) Neither the Font Software nor any of its individual components, in Original or Modified
Versions, may be sold by itself.

2) Original or Modified Versions of the Font Software may be bundled, redistributed and/or sold
with any software, provided that each copy contains the above copyright notice and this
license. These can be included either as stand-alone text files, human-readable headers or in
the appropriate machine-readable metadata fields within text or binary files as long as those
fields can be easily viewed by the user.

3) No Modified Version of the Font Software may use the Reserved Font Name(s) unless explicit
written permission is granted by the corresponding Copyright Holder. This restriction only
applies to the primary font name as presented to the users.

4) The name(s) of the Copyright Holder(s) or the Author(s) of the Font Software shall not be
used to promote, endorse or advertise any Modified Version, except to acknowledge the
contribution(s) of the Copyright Holder(s) and the Author(s) or with their explicit written
permission.

5) The Font Software, modified or unmodified, in part or in whole, must be distributed entirely
under this license, and must not be distributed under any other license. The requirement for
fonts to remain under this license does not apply to any document created using the Font
Software.

TERMINATION
This license becomes null and void if any of the above conditions are not met.

DISCLAIMER
THE FONT SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO ANY WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT OF COPYRIGHT, PATENT, TRADEMARK, OR OTHER RIGHT. IN NO EVENT SHALL
THE COPYRIGHT HOLDER BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, INCLUDING ANY
GENERAL, SPECIAL, INDIRECT, INCIDENTAL, OR CONSEQUENTIAL DAMAGES, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF THE USE OR INABILITY TO USE THE FONT SOFTWARE
OR FROM OTHER DEALINGS IN THE FONT SOFTWARE.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noto-dir", type=Path, default=NOTO_DIR)
    parser.add_argument("--only", choices=["body", "display"], help="rebuild one face only")
    args = parser.parse_args()
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    regular = args.noto_dir / "NotoSerifCJK-Regular.ttc"
    bold = args.noto_dir / "NotoSerifCJK-Bold.ttc"
    for path in (regular, bold):
        if not path.exists():
            raise SystemExit(f"{path} not found: apt-get install fonts-noto-cjk")

    if args.only in (None, "body"):
        body = build_face(regular, body_charset(), OUT_DIR / BODY_OUT)
        (OUT_DIR / "OFL.txt").write_text(licence_text(body), encoding="utf-8")
    if args.only in (None, "display"):
        build_face(bold, display_charset(), OUT_DIR / DISPLAY_OUT)
    for name in (BODY_OUT, DISPLAY_OUT):
        path = OUT_DIR / name
        if path.exists():
            print(f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}  {name}")


if __name__ == "__main__":
    main()
