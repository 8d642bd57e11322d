"""The QR code's fast mask choice must give exactly the symbol segno would make."""

from __future__ import annotations

import random

import pytest
import segno
from fpdf import FPDF

from chalicelib.cert.qr import draw_qr, qr_matrix, qr_rects

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _urls(count: int) -> list[str]:
    rnd = random.Random(16)
    return [f"https://ecert.example.com/verify/?no={rnd.randrange(10**12):012d}&c="
            + "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randrange(4, 140))) for _ in range(count)]


def test_symbol_is_the_one_segno_chooses_for_every_mask() -> None:
    masks = set()
    for url in _urls(300):
        reference = segno.make(url, error="m", micro=False)
        masks.add(reference.mask)
        assert qr_matrix(url) == tuple(reference.matrix), url
    assert len(masks) >= 6  # the comparison covered (almost) every mask pattern


def test_rectangles_are_written_as_fpdf_rect_writes_them() -> None:
    url = _urls(1)[0]
    ours = FPDF()
    ours.add_page()
    draw_qr(ours, url, 36, 150, 33)
    modules, rects = qr_rects(url)
    ref = FPDF()
    ref.add_page()
    ref.set_fill_color(255, 255, 255)
    ref.rect(36, 150, 33, 33, style="F")
    ref.set_fill_color(20, 20, 20)
    module = 33 / (modules + 8)
    for row, col, width, height in rects:
        ref.rect(36 + (4 + col) * module, 150 + (4 + row) * module, width * module + module * 0.02,
                 height * module + module * 0.02, style="F")
    assert bytes(ours.pages[1].contents) == bytes(ref.pages[1].contents)


def test_without_numpy_segno_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.cert.qr as qr

    monkeypatch.setattr(qr, "np", None)
    for url in _urls(5):
        assert qr.qr_matrix(url) == tuple(segno.make(url, error="m", micro=False).matrix)


def test_dark_runs_with_numpy_are_the_runs_walked_module_by_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.cert.qr as qr

    matrices = [qr.qr_matrix(url) for url in _urls(40)]
    fast = [qr._dark_runs(m) for m in matrices]
    monkeypatch.setattr(qr, "np", None)
    assert [qr._dark_runs(m) for m in matrices] == fast
    covered = {(y, x) for y, start, width in fast[0] for x in range(start, start + width)}
    assert covered == {(y, x) for y, row in enumerate(matrices[0]) for x, v in enumerate(row) if v}
