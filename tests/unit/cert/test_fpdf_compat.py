"""The fpdf2 internals we rely on (`chalicelib/cert/fpdf_compat.py`): fail here on an upgrade."""

from __future__ import annotations

from datetime import datetime, timezone
from io import BytesIO
from typing import Any

import pytest
from fpdf import FPDF

from chalicelib.cert.fontpack import BODY_FONT, body_font
from chalicelib.cert.fpdf_compat import missing_glyphs, preload_image, register_font
from chalicelib.cert.seal import sample_seal
from tests.unit.cert.conftest import pdf_text


def _page(fonts: str, text: str, image: bytes | None = None, preload: bool = False) -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=timezone.utc))
    if fonts == "memory":
        register_font(pdf, "body", body_font().subset(text))
    else:
        pdf.add_font("body", fname=str(BODY_FONT))
    pdf.add_page()
    pdf.set_font("body", size=14)
    pdf.text(20, 20, text)
    if image is not None:
        pdf.image(preload_image(pdf, image) if preload else BytesIO(image), x=20, y=40, w=40)
        pdf.image(preload_image(pdf, image) if preload else BytesIO(image), x=80, y=40, w=40)
    return bytes(pdf.output())


def test_in_memory_font_embeds_a_small_subset_and_extracts() -> None:
    text = "非执业会员 张喆 110000123456"
    pdf = _page("memory", text)
    assert pdf_text(pdf).strip() == text
    assert len(pdf) < 20_000
    assert b"/FontFile2" in pdf and b"/CIDFontType2" in pdf


def test_in_memory_font_gives_the_same_text_as_the_file_font() -> None:
    text = "中国注册会计师协会 玥祎昇"
    assert pdf_text(_page("memory", text)) == pdf_text(_page("file", text))


def test_characters_outside_the_registered_subset_are_detected() -> None:
    pdf = FPDF()
    register_font(pdf, "body", body_font().subset("张三"))
    pdf.add_page()
    pdf.set_font("body", size=12)
    pdf.text(10, 10, "张三李")
    assert missing_glyphs(pdf) == ["李"]


def test_registering_twice_is_refused() -> None:
    pdf = FPDF()
    register_font(pdf, "body", body_font().subset("张"))
    with pytest.raises(ValueError):
        register_font(pdf, "BODY", body_font().subset("张"))


def test_preloaded_image_gives_the_same_pdf_as_fpdf2_itself() -> None:
    seal = sample_seal("测试注册会计师协会")
    plain = _page("memory", "样", seal, preload=False)
    preloaded = _page("memory", "样", seal, preload=True)
    assert preloaded == plain
    assert preloaded.count(b"/Subtype /Image") == 2  # the seal and its soft mask, each once


def test_in_memory_font_is_embedded_as_built_and_file_fonts_still_subset() -> None:
    import re
    import zlib

    text = "非执业会员 张喆"
    program = body_font().subset(text)
    streams = []
    for match in re.finditer(rb"stream\n(.*?)\nendstream", _page("memory", text), re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    assert program in streams  # fpdf2 did not re-subset the font we cut
    assert len(_page("file", text)) < 60_000  # fontTools still cuts the 9 MB file font down


def _certificates(photo: bytes) -> list[bytes]:
    from chalicelib.cert.render import render_certificate
    from tests.unit.cert.conftest import ISSUED, member, url_for

    cases = [member(), member(name="欧阳玥祎", member_no="110000654321", approval_doc_no="京注协(2016)第12号"),
             member(member_category="境外会员", association_name="中国注册会计师协会")]
    return [render_certificate(data, photo, ISSUED, qr_url=url_for(data)) for data in cases]


def test_cut_fonts_are_written_byte_for_byte_as_fpdf2_writes_them(photo: bytes,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import fpdf.output

    from chalicelib.cert import fpdf_compat

    built = _certificates(photo)
    ours = _certificates(photo)  # the fonts' tables kept from the first time (the headline face's)
    assert ours == built and fpdf_compat._font_tables_kept
    monkeypatch.setattr(fpdf.output.OutputProducer, "_add_fonts", fpdf_compat._fpdf_add_fonts)
    assert _certificates(photo) == ours


def test_the_replayed_frame_is_the_frame_drawn(photo: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.cert import render

    replayed = _certificates(photo)  # the frame recorded by earlier renders, copied here
    assert render._drawn
    monkeypatch.setattr(render, "_drawn", {})
    monkeypatch.setattr(render, "_replay", lambda pdf, draw: draw(pdf))
    assert _certificates(photo) == replayed


def test_the_replayed_headline_is_the_headline_drawn(photo: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The headline's operators copied from an earlier certificate with the same display font
    (the third case has a member category: another display subset, another record) give the
    documents that drawing it gives, byte for byte, and the same font state after it."""
    from chalicelib.cert import render

    _certificates(photo)
    replayed = _certificates(photo)  # every case's headline recorded by the renders above
    assert len(render._drawn_text) >= 2
    monkeypatch.setattr(render, "_drawn_text", {})
    monkeypatch.setattr(render, "_replay_text", lambda pdf, draw, family: draw(pdf))
    assert _certificates(photo) == replayed


def test_the_headline_replay_leaves_the_font_state_drawing_leaves(photo: bytes) -> None:
    from chalicelib.cert import render

    def state(pdf: FPDF) -> tuple[Any, ...]:
        gs = pdf._get_current_graphics_state().as_kwargs()
        assert gs["current_font"] is pdf.fonts[render.DISPLAY]  # the document's own font
        gs["current_font"] = gs["current_font"].fontkey
        fonts = {k: (f.i, f.biggest_size_pt) for k, f in pdf.fonts.items()}
        return (gs, fonts, dict(pdf._resource_catalog.resources_per_page))

    def page(replay: bool) -> tuple[Any, ...]:
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        render.subset_fonts(pdf, "张三", "".join((render.wording.ISSUER, render.wording.TITLE,
                                                  render.wording.SUBTITLE, render.wording.SUBTITLE_EN)))
        pdf.add_page()
        if replay:
            render._replay_text(pdf, render._draw_headline, render.DISPLAY)
        else:
            render._draw_headline(pdf)
        return state(pdf), bytes(pdf.pages[1].contents)

    page(True)  # recorded
    assert page(True) == page(False)


def test_fonts_parsed_once_give_the_documents_fonts_parsed_each_time(photo: bytes,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.cert import fpdf_compat, render

    _certificates(photo)
    shared = _certificates(photo)  # every face parsed already: copies, and subsets derived
    monkeypatch.setattr(fpdf_compat, "_parsed", fpdf_compat._ParsedFonts(size=0))  # parse every time

    def parse_each_time(pdf: Any, family: str, face: object, font: bytes, glyphs: Any) -> None:
        fpdf_compat.register_font(pdf, family, font)
        for code_point, _, _ in glyphs:  # the codes in code point order, as register_subset takes them
            pdf.fonts[family.lower()].subset.pick(code_point)

    monkeypatch.setattr(render, "register_subset", parse_each_time)
    assert _certificates(photo) == shared


def test_codes_in_code_point_order_print_the_same_pages(photo: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """`register_subset` takes the character codes in code point order (so the CIDToGIDMap is
    compressed once per subset size): the same text and the same page, pixel for pixel, as with
    fpdf2's codes in order of first use; the maps repeat."""
    from chalicelib.cert import fpdf_compat, render
    from tests.unit.cert.conftest import pdf_text, rasterise

    monkeypatch.setattr(fpdf_compat, "_glyph_maps", fpdf_compat._glyph_maps_of(256))
    ordered = _certificates(photo)
    maps = len(fpdf_compat._glyph_maps._items)
    _certificates(photo)
    assert len(fpdf_compat._glyph_maps._items) == maps  # the second time, every map was kept

    def first_use_codes(pdf: Any, family: str, face: object, font: bytes, glyphs: Any) -> None:
        fpdf_compat.register_font(pdf, family, font)

    monkeypatch.setattr(render, "register_subset", first_use_codes)
    first_use = _certificates(photo)
    assert first_use != ordered  # the codes did differ
    for a, b in zip(ordered, first_use, strict=True):
        assert pdf_text(a, layout=True) == pdf_text(b, layout=True)
        assert rasterise(a, dpi=60).tobytes() == rasterise(b, dpi=60).tobytes()


@pytest.mark.parametrize("text", ["张喆 110000123456", "欧阳玥祎（Smith, J.）2024年3月1日", "a", "。，；"])
def test_a_derived_subset_reads_as_fontTools_reads_it(text: str) -> None:
    from fpdf.fonts import TTFFont

    from chalicelib.cert.fpdf_compat import _ParsedFonts

    pack = body_font()
    model = TTFFont(FPDF(), BytesIO(pack.subset("中国注册会计师协会")), "m", "")  # type: ignore[arg-type]
    program = pack.subset(text)
    parsed = TTFFont(FPDF(), BytesIO(program), "body", "")  # type: ignore[arg-type]
    derived = _ParsedFonts.derive(FPDF(), "body", model, program, pack.subset_glyphs(text))
    assert derived.cmap == parsed.cmap and list(derived.cmap) == list(parsed.cmap)
    assert derived.glyph_ids == parsed.glyph_ids
    assert dict(derived.cw) == dict(parsed.cw) and derived.cw[0xFFFF] == parsed.cw[0xFFFF]
    assert vars(derived.desc) == vars(parsed.desc)
    for name in ("name", "scale", "up", "ut", "sp", "ss", "is_cff", "is_symbol", "color_font"):
        assert getattr(derived, name) == getattr(parsed, name), name
    for glyph_name in parsed.cmap.values():
        assert derived.ttfont.getGlyphID(glyph_name) == parsed.ttfont.getGlyphID(glyph_name)


def test_objects_are_written_as_fpdf2_writes_them(photo: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each object's attributes listed per class (`_names`) and the memoised key names give the
    same documents, byte for byte, as fpdf2's `dir()` and `camel_case` on every object."""
    import fpdf.syntax
    from fpdf.syntax import PDFObject

    from chalicelib.cert import fpdf_compat

    ours = _certificates(photo)
    assert fpdf_compat._class_names  # the names were kept
    monkeypatch.setattr(PDFObject, "_build_obj_dict", fpdf_compat._fpdf_build_obj_dict)
    monkeypatch.setattr(fpdf.syntax, "camel_case", fpdf_compat._fpdf_camel_case)
    assert _certificates(photo) == ours


def test_attribute_names_are_dirs() -> None:
    from fpdf.output import PDFCatalog, PDFFont, PDFInfo, PDFPage
    from fpdf.syntax import PDFArray, PDFObject

    from chalicelib.cert import fpdf_compat

    page = PDFPage(duration=None, transition=None, contents=bytearray(), index=1)
    samples = [PDFObject(), PDFFont(subtype="Type0", base_font="x"), page, PDFCatalog(), PDFArray([1]),
               PDFInfo(title="t", subject=None, author=None, keywords=None, creator=None, producer=None,
                       creation_date=None)]
    page.extra = "added to one instance"  # type: ignore[attr-defined]
    for obj in samples:
        assert fpdf_compat._names(obj) == dir(obj)
        assert fpdf_compat._names(obj) == dir(obj)  # kept


def test_string_widths_are_fpdf2_s(photo: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """`render.string_width` gives `FPDF.get_string_width`'s number: for every string, size and
    spacing the page uses (and a few more), and in whole documents, byte for byte."""
    from chalicelib.cert import render
    from chalicelib.cert.fontpack import body_font
    from chalicelib.cert.fpdf_compat import register_subset

    ours = _certificates(photo)
    monkeypatch.setattr(render, "string_width", lambda pdf, text: pdf.get_string_width(text))
    assert _certificates(photo) == ours
    monkeypatch.undo()

    texts = ["张喆 110000123456", "欧阳玥祎（Smith, J.）2024年3月1日", "a", "。，；", "{nb} 页", " "]
    pdf = FPDF()
    pack = body_font()
    chars = frozenset("".join(texts))
    register_subset(pdf, "body", pack.path, pack.subset(chars), pack.subset_glyphs(chars))
    pdf.add_page()
    for size in (7.5, 10.5, 13.0, 17.0):
        pdf.set_font("body", size=size)
        for spacing in (0.0, 0.15, 0.6, 4.5):
            pdf.set_char_spacing(spacing)
            for text in texts:
                assert render.string_width(pdf, text) == pdf.get_string_width(text), (size, spacing, text)
    pdf.set_stretching(90)
    assert render.string_width(pdf, texts[1]) == pdf.get_string_width(texts[1])
