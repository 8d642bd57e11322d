"""The certificate PDF: layout and rendering as one pure function.

`render_certificate(data, photo, issued_on, qr_url=...)` → PDF bytes. No I/O beyond the bundled
fonts, no clock (the PDF creation date defaults to the issue date), no randomness: the same input
gives the same bytes, which is what lets the caller cache certificates under a hash of their
inputs and lets tests compare outputs.

Page: A4 landscape (297 × 210 mm). Why:
* members print at home or in the office, where A4 is the paper in every printer; at 100 % scale
  the photo keeps its real 1-inch-photo proportions and the QR modules stay about 0.7 mm, which
  phones read easily. A5 would be printed on A4 anyway, scaled up or with wide margins;
* landscape is the traditional orientation of Chinese certificates (证书/奖状) and gives the
  layout a calm three-band structure: headline, then photo beside the particulars, then the
  QR code and the seal on the same baseline, with generous white space;
* a frame inset 10 mm stays inside the unprintable margin of consumer printers, so nothing is
  clipped and no full-bleed ink is wasted.

Colours: a deep seal red for the frame and headline, an old-gold for rules and ornaments, near
black for the particulars; the seal is composited with the Multiply blend mode so the printed
issue line shows through its red ink as on a stamped paper document.

Speed: see `fontpack` (per-document font subsets cut from a font parsed once per process) and
`fpdf_compat` (handing those, and the seal decoded once, to fpdf2); everything else here is a
few hundred drawing operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Callable, Protocol

from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.fonts import TTFFont
from fpdf.graphics_state import GraphicsState

from chalicelib.cert import wording
from chalicelib.cert.fontpack import FontPack, GlyphMissing, body_font, display_font
from chalicelib.cert.fpdf_compat import missing_glyphs, preload_image, register_subset
from chalicelib.cert.qr import draw_qr
from chalicelib.cert.seal import SEAL_MM, sample_seal
from chalicelib.errors import AppError

BEIJING = timezone(timedelta(hours=8), "CST")

#: Part of any cache key for rendered certificates: bump it whenever the layout, the wording or
#: the bundled fonts change, so that cached PDFs of the old design are not served again.
LAYOUT_VERSION = "2026.11-2"

PAGE_W, PAGE_H = 297.0, 210.0
CRIMSON = (146, 22, 30)
GOLD = (181, 144, 72)
GOLD_DARK = (140, 104, 40)
TINT = (238, 226, 196)
PAPER = (255, 252, 243)
INK = (28, 28, 30)
LABEL = (118, 40, 34)
MUTED = (112, 100, 88)

BODY, DISPLAY = "certbody", "certdisplay"


class CertificateDataInvalid(AppError):
    status, code, message = 422, "CERT_DATA_INVALID", "会员证书信息不完整"


class PhotoInvalid(AppError):
    status, code, message = 422, "PHOTO_INVALID", "照片无法读取，请重新上传"


@dataclass(frozen=True)
class CertificateData:
    """What a certificate prints about a member (dates as `date`; ISO strings are accepted)."""

    name: str
    gender: str
    birth_date: date
    member_no: str
    approval_date: date
    approval_doc_no: str
    association_name: str
    #: The body named on the issuer line and the seal; the association itself when empty.
    #: Overseas members belong to the national institute, which issues their certificates.
    issuer_name: str = ""
    #: A member category printed among the fields (e.g. overseas members); none when empty.
    member_category: str = ""

    def __post_init__(self) -> None:
        empty = []
        if not self.issuer_name:
            object.__setattr__(self, "issuer_name", self.association_name)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "member_category" and not value:
                continue
            if isinstance(value, str):
                value = " ".join(value.split())  # no stray newlines/tabs in a printed field
                if f.name in ("birth_date", "approval_date") and value:
                    try:
                        value = date.fromisoformat(value)
                    except ValueError as exc:
                        raise CertificateDataInvalid(f"日期格式有误：{value}", field=f.name) from exc
                object.__setattr__(self, f.name, value)
            if value in ("", None):
                empty.append(f.name)
        if empty:
            raise CertificateDataInvalid(missing=empty)


def format_date(day: date) -> str:
    """`2024年3月1日`: Arabic numerals, no leading zeros, as GB/T 9704 prescribes for documents."""
    return f"{day.year}年{day.month}月{day.day}日"


class FontSetup(Protocol):
    """How a document gets its two faces; `body_text`/`display_text` is all it will print."""

    def __call__(self, pdf: FPDF, body_text: str, display_text: str) -> None: ...


def subset_fonts(pdf: FPDF, body_text: str, display_text: str) -> None:
    """The fast path: per-document subsets of the bundled fonts, parsed once per process."""
    _register_subset(pdf, BODY, body_font(), body_text)
    _register_subset(pdf, DISPLAY, display_font(), display_text)


@lru_cache(maxsize=32)  # repeat renders of one member; ~0.4 ms to rebuild otherwise
def _subset_bytes(pack: FontPack, chars: frozenset[str]) -> tuple[bytes, tuple[tuple[int, int, int], ...]]:
    return pack.subset(chars), tuple(pack.subset_glyphs(chars))


def _register_subset(pdf: FPDF, family: str, pack: FontPack, text: str) -> None:
    chars = frozenset(text)
    pack.check(text)
    program, glyphs = _subset_bytes(pack, chars)
    register_subset(pdf, family, pack.path, program, glyphs)


def render_certificate(
    data: CertificateData,
    photo: bytes,
    issued_on: date,
    *,
    qr_url: str,
    seal: bytes | None = None,
    creation_date: datetime | None = None,
) -> bytes:
    """The member's certificate as PDF bytes (A4 landscape, one page, unsigned).

    `photo`: the accepted ID photo (JPEG, embedded as is). `seal`: the issuing association's
    seal as PNG (transparent background); None prints `sample_seal(association_name)`.
    `creation_date` defaults to midnight Beijing time of `issued_on`, so output is a function of
    the arguments alone. Raises `GlyphMissing` (naming the characters) if the bundled font cannot
    print some text, `PhotoInvalid` if the photo cannot be decoded.
    """
    return _render(data, photo, issued_on, qr_url=qr_url, seal=seal, creation_date=creation_date,
                   fonts=subset_fonts)


# --------------------------------------------------------------------------------------------
# layout


@dataclass(frozen=True)
class _Texts:
    """Every string the page prints, decided before drawing (the fonts are cut from them)."""

    fields: tuple[tuple[str, str], ...]
    statement: str
    signature: tuple[str, str]

    @property
    def body(self) -> str:
        return "".join(v for _, v in self.fields) + self.statement + "".join(self.signature) + \
            wording.QR_CAPTION + wording.FOOTNOTE

    @property
    def display(self) -> str:
        return "".join(label for label, _ in self.fields) + "".join(
            (wording.ISSUER, wording.TITLE, wording.SUBTITLE, wording.SUBTITLE_EN))


_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "!": "！", "?": "？"})
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) +| +(?=[{_CJK}])")


def chinese_text(text: str) -> str:
    """Full-width punctuation and no ASCII spaces next to Chinese characters, in a text that
    contains Chinese (data typed with half-width brackets, e.g. 中注协(2020)12号); other text
    (Latin names, numbers) is left as it is."""
    if not re.search(r"[\u3400-\u9fff]", text):
        return text
    return _CJK_SPACE.sub("", text.translate(_FULL_WIDTH))


def _texts(data: CertificateData, issued_on: date) -> _Texts:
    fields_ = [
        (wording.LABEL_NAME, data.name),
        (wording.LABEL_GENDER, data.gender),
        (wording.LABEL_BIRTH, format_date(data.birth_date)),
        (wording.LABEL_MEMBER_NO, data.member_no),
        (wording.LABEL_APPROVAL_DATE, format_date(data.approval_date)),
        (wording.LABEL_APPROVAL_DOC, chinese_text(data.approval_doc_no)),
        (wording.LABEL_ASSOCIATION, chinese_text(data.association_name)),
    ]
    if data.member_category:
        fields_.append((wording.LABEL_CATEGORY, chinese_text(data.member_category)))
    return _Texts(
        fields=tuple(fields_),
        statement=wording.STATEMENT.format(name=data.name),
        signature=(chinese_text(data.issuer_name), f"{wording.LABEL_ISSUED}：{format_date(issued_on)}"),
    )


def _render(data: CertificateData, photo: bytes, issued_on: date, *, qr_url: str, seal: bytes | None,
            creation_date: datetime | None, fonts: FontSetup) -> bytes:
    texts = _texts(data, issued_on)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_creation_date(creation_date or datetime.combine(issued_on, time(0, 0), BEIJING))
    pdf.set_lang("zh-CN")
    pdf.set_title(f"{wording.ISSUER}{wording.TITLE} {data.member_no}")
    pdf.set_subject(wording.SUBTITLE)
    pdf.set_author(texts.signature[0])
    pdf.set_creator("中国注册会计师协会非执业会员电子证书系统")
    fonts(pdf, texts.body, texts.display)
    pdf.add_page()

    _replay(pdf, _draw_frame)
    _replay_text(pdf, _draw_headline, DISPLAY)
    _draw_photo(pdf, photo)
    _draw_fields(pdf, texts)
    _draw_qr_block(pdf, qr_url)
    _draw_signature(pdf, texts, seal if seal is not None else sample_seal(texts.signature[0]))
    _draw_footnote(pdf)

    dropped = missing_glyphs(pdf)
    if dropped:  # a font lacked a character although the check passed: never print a gap
        raise GlyphMissing(dropped)
    return bytes(pdf.output())


def string_width(pdf: FPDF, text: str) -> float:
    """`pdf.get_string_width(text)`, the same number, for the plain case of this page (a TrueType
    font, no text shaping, fallback fonts, stretching or page-number alias): fpdf2 builds a
    fragment with a copy of the whole graphics state to measure each string; the width is that
    fragment's `get_width`, computed here from the same font call and the same arithmetic."""
    font = pdf.current_font
    alias = pdf.str_alias_nb_pages
    if (not text or not isinstance(font, TTFFont) or pdf.text_shaping or pdf._fallback_font_ids
            or pdf.font_stretching != 100 or (alias and alias in text)):
        return pdf.get_string_width(text)
    char_len, width = font.get_text_width(text, pdf.font_size_pt, None)
    if pdf.char_spacing != 0:
        width += pdf.char_spacing * char_len
    return width / pdf.k


def _text_centered(pdf: FPDF, text: str, cx: float, baseline: float, spacing: float = 0.0) -> float:
    """Draw `text` centred on `cx`; `spacing` (mm) is added between characters. Returns its width."""
    pdf.set_char_spacing(spacing)
    width = string_width(pdf, text) - spacing  # no spacing after the last character
    pdf.text(cx - width / 2, baseline, text)
    pdf.set_char_spacing(0)
    return width


def _text_justified(pdf: FPDF, text: str, x: float, baseline: float, width: float) -> None:
    """Spread `text` to exactly `width`, the way Chinese forms align labels of unequal length."""
    natural = string_width(pdf, text)
    spacing = (width - natural) / (len(text) - 1) if len(text) > 1 else 0.0
    pdf.set_char_spacing(max(spacing, 0.0))
    pdf.text(x, baseline, text)
    pdf.set_char_spacing(0)


def _fit_size(pdf: FPDF, family: str, text: str, size: float, max_width: float, min_size: float) -> float:
    """The largest size ≤ `size` at which `text` fits `max_width` (long names, long associations)."""
    pdf.set_font(family, size=size)
    width = string_width(pdf, text)
    if width <= max_width:
        return size
    return max(min_size, size * max_width / width)


# frame --------------------------------------------------------------------------------------

FRAME = 10.0  # outer frame inset from the paper edge
INNER = 15.0  # inner rule inset


@dataclass(frozen=True)
class _Drawn:
    """What a fixed drawing did to a page: its operators, and the graphics state before and after."""

    before: GraphicsState
    ops: bytes
    after: GraphicsState


_drawn: dict[Callable[[FPDF], None], _Drawn] = {}


def _replay(pdf: FPDF, draw: Callable[[FPDF], None]) -> None:
    """`draw(pdf)` for a drawing that is the same on every certificate (no text, no images: those
    register fonts and resources): the first time it runs, later its operators are copied.

    The frame and its rosette are ~400 path operations, built through fpdf2's per-call
    machinery (rotations, ellipses) for each certificate; copying the bytes takes microseconds.
    The graphics state is part of the record: fpdf2 skips a colour or width already in effect,
    so the copy is made only from the state it was recorded in, and leaves the state it left.
    """
    contents = pdf.pages[pdf.page].contents
    if not isinstance(contents, bytearray):  # a page already output: nothing to draw on
        draw(pdf)
        return
    before = pdf._get_current_graphics_state()
    seen = _drawn.get(draw)
    if seen is not None and seen.before == before and not pdf._is_current_graphics_state_nested():
        contents.extend(seen.ops)
        pdf._pop_local_stack()
        pdf._push_local_stack(seen.after.copy())
        return
    start = len(contents)
    draw(pdf)
    if not pdf._is_current_graphics_state_nested():
        _drawn[draw] = _Drawn(before, bytes(contents[start:]), pdf._get_current_graphics_state())


@dataclass(frozen=True)
class _DrawnText:
    """What a fixed drawing with text did to a page: `_Drawn`, and the fonts it selected and
    named on the page (by key), and the largest size it measured text at in each."""

    drawn: _Drawn
    font: str
    page_fonts: tuple[str, ...]
    sizes: tuple[tuple[str, float], ...]


_drawn_text: dict[tuple[object, ...], _DrawnText] = {}
_DRAWN_TEXT_KEPT = 16


def _font_key(font: object) -> tuple[object, ...] | None:
    """What text drawn in `font` comes out as: its number, its program (glyph ids, metrics) and
    the codes its characters are written with; None for a font that is not a cut font."""
    program = getattr(getattr(font, "ttfont", None), "_ecert_cut_font", None)
    if not isinstance(font, TTFFont) or program is None:
        return None
    codes = tuple((None, code) if glyph is None else (glyph.glyph_id, glyph.unicode, glyph.glyph_width, code)
                  for glyph, code in font.subset.items())
    return font.i, program, codes


def _page_fonts(pdf: FPDF) -> set[object]:
    return set(pdf._resource_catalog.resources_per_page.get((pdf.page, PDFResourceType.FONT), ()))


def _replay_text(pdf: FPDF, draw: Callable[[FPDF], None], family: str) -> None:
    """`_replay` for a fixed drawing that prints fixed text (the headline): its operators depend
    also on the font it prints in, `family` (its number, program and character codes:
    `_font_key`), so the record is kept per font, and replaying it does to the document what
    drawing the text does besides writing operators: the font selected in the graphics state is the document's own,
    the font is registered for the page, and its largest measured size is raised as measuring
    would. Only a drawing that starts on a page naming no font yet, with no font selected, is
    recorded, and only if it printed in `family` alone (a font it used is named on the page
    then) with the codes the font held already (`register_subset` takes them all before any
    text); anything else is drawn each time."""
    contents = pdf.pages[pdf.page].contents
    before = pdf._get_current_graphics_state()
    font_key = _font_key(pdf.fonts.get(family.lower()))
    if (not isinstance(contents, bytearray) or before.current_font is not None or font_key is None
            or _page_fonts(pdf) or pdf._is_current_graphics_state_nested() or pdf._record_text_quad_points
            or any(getattr(f, "missing_glyphs", None) for f in pdf.fonts.values())):
        draw(pdf)
        return
    key = (draw, pdf.k, pdf.h, family.lower(), font_key)
    seen = _drawn_text.get(key)
    if seen is not None and seen.drawn.before == before:
        contents.extend(seen.drawn.ops)
        after = seen.drawn.after.copy()
        after.current_font = pdf.fonts[seen.font]
        pdf._pop_local_stack()
        pdf._push_local_stack(after)
        for name in seen.page_fonts:
            pdf._resource_catalog.add(PDFResourceType.FONT, pdf.fonts[name].i, pdf.page)
        for name, size in seen.sizes:
            font = pdf.fonts[name]
            if isinstance(font, TTFFont):
                font.biggest_size_pt = max(font.biggest_size_pt, size)
        return
    sizes_before = {k: getattr(f, "biggest_size_pt", 0.0) for k, f in pdf.fonts.items()}
    start = len(contents)
    draw(pdf)
    after = pdf._get_current_graphics_state()
    names: dict[object, str] = {f.i: k for k, f in pdf.fonts.items()}
    added = _page_fonts(pdf)
    if (_font_key(pdf.fonts[family.lower()]) != font_key  # it took new character codes: not a copy
            or after.current_font is None or pdf._is_current_graphics_state_nested()
            or {names.get(i) for i in added} != {family.lower()} or after.current_font.fontkey != family.lower()
            or any(getattr(f, "missing_glyphs", None) for f in pdf.fonts.values())):
        return
    sizes = tuple((k, size) for k, f in pdf.fonts.items()
                  if (size := getattr(f, "biggest_size_pt", 0.0)) != sizes_before[k])
    if len(_drawn_text) >= _DRAWN_TEXT_KEPT:
        _drawn_text.clear()
    _drawn_text[key] = _DrawnText(_Drawn(before, bytes(contents[start:]), after), after.current_font.fontkey,
                                  tuple(sorted(names[i] for i in added)), sizes)


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_fill_color(*PAPER)
    pdf.rect(FRAME, FRAME, PAGE_W - 2 * FRAME, PAGE_H - 2 * FRAME, style="F")
    _draw_rosette(pdf, PAGE_W / 2, 118.0)

    pdf.set_draw_color(*CRIMSON)
    pdf.set_line_width(1.3)
    pdf.rect(FRAME, FRAME, PAGE_W - 2 * FRAME, PAGE_H - 2 * FRAME)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    inset = FRAME + 2.0
    pdf.rect(inset, inset, PAGE_W - 2 * inset, PAGE_H - 2 * inset)
    pdf.set_line_width(0.2)
    pdf.rect(INNER, INNER, PAGE_W - 2 * INNER, PAGE_H - 2 * INNER)
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        cx = INNER if sx > 0 else PAGE_W - INNER
        cy = INNER if sy > 0 else PAGE_H - INNER
        _draw_corner(pdf, cx, cy, sx, sy)


# A 回纹 (square fret) spiral with a bracket along both edges, in mm from the inner corner.
_FRET = ((2.2, 11.0), (2.2, 2.2), (11.0, 2.2), (11.0, 8.8), (4.4, 8.8), (4.4, 4.4), (8.8, 4.4), (8.8, 6.6), (6.6, 6.6))
_BRACKET = ((0.0, 24.0), (0.0, 0.0), (24.0, 0.0))


def _draw_corner(pdf: FPDF, cx: float, cy: float, sx: int, sy: int) -> None:
    pdf.set_draw_color(*GOLD)
    offset = 1.8
    pdf.set_line_width(0.5)
    pdf.polyline([(cx + sx * (x + offset), cy + sy * (y + offset)) for x, y in _FRET])
    pdf.set_line_width(0.3)
    pdf.polyline([(cx + sx * (x + offset), cy + sy * (y + offset)) for x, y in _BRACKET])


def _draw_rosette(pdf: FPDF, cx: float, cy: float) -> None:
    """A faint spirograph rosette behind the particulars, the security-print motif of certificates.

    Rotated ellipses are a handful of Bézier curves each, far cheaper than a sampled guilloche.
    """
    pdf.set_draw_color(*TINT)
    pdf.set_line_width(0.16)
    for i in range(24):
        with pdf.rotation(i * 7.5, cx, cy):
            pdf.ellipse(cx - 44.0, cy - 12.0, 88.0, 24.0)
    pdf.circle(cx, cy, 47.0)


# headline -----------------------------------------------------------------------------------


def _draw_headline(pdf: FPDF) -> None:
    cx = PAGE_W / 2
    pdf.set_text_color(*CRIMSON)
    pdf.set_font(DISPLAY, size=21)
    _text_centered(pdf, wording.ISSUER, cx, 37.0, spacing=2.2)
    pdf.set_font(DISPLAY, size=40)
    _text_centered(pdf, wording.TITLE, cx, 56.5, spacing=4.5)

    pdf.set_font(DISPLAY, size=12)
    pdf.set_text_color(*GOLD_DARK)
    width = _text_centered(pdf, wording.SUBTITLE, cx, 66.5, spacing=1.6)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.3)
    gap = width / 2 + 5
    for side in (-1, 1):
        pdf.line(cx + side * gap, 64.9, cx + side * (gap + 48), 64.9)
        _diamond(pdf, cx + side * (gap + 50.5), 64.9, 1.3)
    pdf.set_font(DISPLAY, size=7.2)
    pdf.set_text_color(*MUTED)
    _text_centered(pdf, wording.SUBTITLE_EN, cx, 72.5, spacing=0.55)


def _diamond(pdf: FPDF, x: float, y: float, r: float) -> None:
    pdf.set_fill_color(*GOLD)
    pdf.polygon([(x - r, y), (x, y - r), (x + r, y), (x, y + r)], style="F")


# body ---------------------------------------------------------------------------------------

PHOTO_X, PHOTO_Y, PHOTO_W = 36.0, 84.0, 33.0
PHOTO_H = PHOTO_W * 220 / 178  # the photo spec's 178 × 220 px


def _draw_photo(pdf: FPDF, photo: bytes) -> None:
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.3)
    pdf.rect(PHOTO_X - 1.5, PHOTO_Y - 1.5, PHOTO_W + 3, PHOTO_H + 3)
    try:
        pdf.image(preload_image(pdf, photo), x=PHOTO_X, y=PHOTO_Y, w=PHOTO_W, h=PHOTO_H, keep_aspect_ratio=True)
    except Exception as exc:  # Pillow/fpdf2 raise many types for undecodable input
        raise PhotoInvalid() from exc


LABEL_PT, VALUE_PT, NAME_PT = 10.5, 13.0, 17.0
COLS = ((88.0, 170.0), (181.0, 262.0))  # (label x, end of the value rule) per column
# Labels are justified to one width; it leaves the longest (会员证书编号) about 1 mm between
# characters, so that no label looks cramped next to the others.
LABEL_W = 28.0
ROWS = (92.0, 105.0, 118.0, 131.0)


def _draw_fields(pdf: FPDF, texts: _Texts) -> None:
    # (row, column, spans both columns)
    places = [(0, 0, False), (0, 1, False), (1, 0, False), (1, 1, False), (2, 0, False), (2, 1, False),
              (3, 0, True)]
    if len(texts.fields) == 8:  # a member category: association and category share the last row
        places[-1:] = [(3, 0, False), (3, 1, False)]
    for (label, value), (row, col, wide) in zip(texts.fields, places, strict=True):
        x, end = COLS[col]
        if wide:
            end = COLS[1][1]
        baseline = ROWS[row]
        pdf.set_font(DISPLAY, size=LABEL_PT)
        pdf.set_text_color(*LABEL)
        _text_justified(pdf, label, x, baseline, LABEL_W)
        value_x = x + LABEL_W + 4.0
        size = NAME_PT if label == wording.LABEL_NAME else VALUE_PT
        pdf.set_font(BODY, size=_fit_size(pdf, BODY, value, size, end - value_x - 1, 8.0))
        pdf.set_text_color(*INK)
        pdf.text(value_x, baseline, value)
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.15)
        pdf.line(value_x - 1, baseline + 2.2, end, baseline + 2.2)

    pdf.set_text_color(*INK)
    left, right = COLS[0][0], COLS[1][1]
    size = _fit_size(pdf, BODY, texts.statement, 12.5, right - left, 8.0)
    pdf.set_font(BODY, size=size)
    _text_centered(pdf, texts.statement, (left + right) / 2, 143.5, spacing=0.25)


# bottom band --------------------------------------------------------------------------------

QR_X, QR_Y, QR_SIZE = 36.0, 150.0, 33.0  # aligned with the photo above it
SIGN_CX, SIGN_Y = 226.0, 182.0
SEAL_CY = 166.0  # the seal's lower half covers the issuer line, as on a stamped document


def _draw_qr_block(pdf: FPDF, url: str) -> None:
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.2)
    pdf.rect(QR_X - 0.8, QR_Y - 0.8, QR_SIZE + 1.6, QR_SIZE + 1.6)
    draw_qr(pdf, url, QR_X, QR_Y, QR_SIZE, dark=INK)
    pdf.set_font(BODY, size=8)
    pdf.set_text_color(*MUTED)
    _text_centered(pdf, wording.QR_CAPTION, QR_X + QR_SIZE / 2, QR_Y + QR_SIZE + 5.0, spacing=0.3)


def _draw_signature(pdf: FPDF, texts: _Texts, seal: bytes) -> None:
    issuer, issued = texts.signature
    pdf.set_text_color(*INK)
    pdf.set_font(BODY, size=_fit_size(pdf, BODY, issuer, 14.0, 70.0, 8.0))
    _text_centered(pdf, issuer, SIGN_CX, SIGN_Y, spacing=0.6)
    pdf.set_font(BODY, size=11.5)
    _text_centered(pdf, issued, SIGN_CX, SIGN_Y + 8.5, spacing=0.2)
    # The seal goes over the issuer line, like a stamp on paper: Multiply keeps the text readable.
    with pdf.local_context(blend_mode="Multiply"):
        try:
            pdf.image(preload_image(pdf, seal), x=SIGN_CX - SEAL_MM / 2, y=SEAL_CY - SEAL_MM / 2, w=SEAL_MM, h=SEAL_MM)
        except Exception as exc:
            raise AppError("电子印章图片无法读取", code="SEAL_INVALID", status=500) from exc


def _draw_footnote(pdf: FPDF) -> None:
    pdf.set_font(BODY, size=7.5)
    pdf.set_text_color(*MUTED)
    _text_centered(pdf, wording.FOOTNOTE, PAGE_W / 2, PAGE_H - INNER - 3.2, spacing=0.15)


