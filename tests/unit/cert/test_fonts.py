"""The bundled fonts and the per-document subsets cut from them."""

from __future__ import annotations

import io
import unicodedata

import pytest
from fontTools.ttLib import TTFont

from chalicelib.cert.fontpack import BODY_FONT, DISPLAY_FONT, FONT_DIR, GlyphMissing, body_font, display_font


@pytest.fixture(scope="module")
def reference_cmap() -> dict[int, str]:
    return TTFont(str(BODY_FONT), lazy=True)["cmap"].getBestCmap()


def test_bundled_files_and_licence() -> None:
    assert BODY_FONT.stat().st_size < 10_000_000
    assert DISPLAY_FONT.stat().st_size < 100_000
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Adobe" in licence and "Reserved Font Name 'Source'" in licence


def test_every_gbk_ideograph_is_covered() -> None:
    font = body_font()
    missing = []
    for lead in range(0x81, 0xFF):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
            try:
                char = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
            if unicodedata.name(char, "").startswith("CJK") and "IDEOGRAPH" in unicodedata.name(char, ""):
                if ord(char) not in font.cmap:
                    missing.append(char)
    assert missing == []
    assert len(font.cmap) > 21_000


def test_our_cmap_reader_agrees_with_fonttools(reference_cmap: dict[int, str]) -> None:
    reference = TTFont(str(BODY_FONT), lazy=True)
    ids = {cp: reference.getGlyphID(name) for cp, name in reference_cmap.items()}
    assert body_font().cmap == ids


def test_subset_is_a_valid_font_with_the_same_outlines_and_metrics() -> None:
    text = "张喆堃玥祎昇 110000123456 京注协〔2015〕35号·Zhang"
    subset = TTFont(io.BytesIO(body_font().subset(text)))
    full = TTFont(str(BODY_FONT), lazy=True)
    full_cmap, sub_cmap = full.getBestCmap(), subset.getBestCmap()
    assert set(sub_cmap) == {ord(c) for c in text} | {0x20}
    assert subset.getGlyphOrder()[0] == ".notdef"
    for cp in sub_cmap:
        mine, theirs = subset["glyf"][sub_cmap[cp]], full["glyf"][full_cmap[cp]]
        assert not mine.isComposite()
        assert mine.getCoordinates(subset["glyf"])[0] == theirs.getCoordinates(full["glyf"])[0]
        assert subset["hmtx"][sub_cmap[cp]] == full["hmtx"][full_cmap[cp]]
    # checksums and the head adjustment are right: fontTools re-serialises it unchanged
    buffer = io.BytesIO()
    subset.save(buffer, reorderTables=False)
    assert len(buffer.getvalue()) > 0


def test_subset_depends_only_on_the_character_set() -> None:
    assert body_font().subset("张三李") == body_font().subset("李张三张")


def test_missing_characters_are_named() -> None:
    assert body_font().missing("张𠀾x\u0e01张") == ["𠀾", "\u0e01"]
    with pytest.raises(GlyphMissing) as caught:
        body_font().subset("张𠀾")
    assert "U+2003E" in caught.value.message


def test_display_font_holds_only_the_headline_wording() -> None:
    assert display_font().missing("非执业会员证书") == []
    assert display_font().missing("喆") == ["喆"]


def test_sfnt_checksums_with_numpy_are_the_word_sums_python_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checksums of tables and fonts added by numpy are the ones added word by word (any
    length: zero-padded to whole words; sums past 2³² wrap), so subsets stay byte for byte."""
    import random

    from chalicelib.cert import fontpack

    rnd = random.Random(9)
    datas = [bytes(rnd.randrange(256) for _ in range(n)) for n in [*range(0, 12), 1001, 18_000]] + [b"\xff" * 70_000]
    chars = "张三李四喆堃玥祎中国注册会计师协会二零二四年三月一日"
    fast = [fontpack._checksum(d) for d in datas], fontpack.body_font().subset(chars)
    monkeypatch.setattr(fontpack, "np", None)
    assert ([fontpack._checksum(d) for d in datas], fontpack.body_font().subset(chars)) == fast
    assert fast[0][-1] == (0xFFFFFFFF * (70_000 // 4)) & 0xFFFFFFFF  # the sum wrapped
