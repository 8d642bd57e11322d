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


@pytest.mark.parametrize(("index", "x", "y", "size", "orientation"),
                         [(0, 36, 150, 33, "P"), (1, 36, 150, 33, "L"), (2, 10.3, 20.7, 51.1, "L"), (3, 5, 5, 19.9, "P")])
def test_rectangles_are_written_as_fpdf_rect_writes_them(index: int, x: float, y: float, size: float,
                                                         orientation: str) -> None:
    """The rectangles' numbers (formatted once per symbol size and placement) are those
    `FPDF.rect` writes, for symbols of several sizes, placements and pages, drawn twice each."""
    url = _urls(120)[index * 37]
    ours = FPDF(orientation=orientation)
    ours.add_page()
    draw_qr(ours, url, x, y, size)
    draw_qr(ours, url, x, y, size)
    modules, rects = qr_rects(url)
    ref = FPDF(orientation=orientation)
    ref.add_page()
    for _ in range(2):
        ref.set_fill_color(255, 255, 255)
        ref.rect(x, y, size, size, style="F")
        ref.set_fill_color(20, 20, 20)
        module = size / (modules + 8)
        for row, col, width, height in rects:
            ref.rect(x + (4 + col) * module, y + (4 + row) * module, width * module + module * 0.02,
                     height * module + module * 0.02, style="F")
    assert bytes(ours.pages[1].contents) == bytes(ref.pages[1].contents)
    assert len({qr_rects(u)[0] for u in _urls(120)[::37]}) > 1  # symbols of more than one size


def test_without_numpy_segno_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.cert.qr as qr

    monkeypatch.setattr(qr, "np", None)
    for url in _urls(5):
        assert qr.qr_matrix(url) == tuple(segno.make(url, error="m", micro=False).matrix)


def test_rectangles_merged_with_numpy_are_those_merged_run_by_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stacks of equal runs in consecutive rows found with numpy (sorting by column, width
    and row) are the rectangles the run-by-run merging finds, in the same order."""
    import chalicelib.cert.qr as qr

    urls = _urls(60) + [f"https://ecert.example.com/{'ab' * n}" for n in range(1, 200, 9)]
    fast = [qr.qr_rects.__wrapped__(url) for url in urls]
    monkeypatch.setattr(qr, "np", None)
    assert [qr.qr_rects.__wrapped__(url) for url in urls] == fast
    assert any(h > 1 for _, rects in fast for *_, h in rects)  # some runs did stack


def test_dark_runs_with_numpy_are_the_runs_walked_module_by_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.cert.qr as qr

    matrices = [qr.qr_matrix(url) for url in _urls(40)]
    fast = [qr._dark_runs(m) for m in matrices]
    monkeypatch.setattr(qr, "np", None)
    assert [qr._dark_runs(m) for m in matrices] == fast
    covered = {(y, x) for y, start, width in fast[0] for x in range(start, start + width)}
    assert covered == {(y, x) for y, row in enumerate(matrices[0]) for x, v in enumerate(row) if v}


def test_final_message_is_segnos_for_every_block_structure() -> None:
    """Data and error codewords, interleaving and remainder bits: segno's own final message,
    over lengths from version 3 to version 20 (one and several blocks, 0, 3 and 7 remainder bits)."""
    from segno import encoder

    import chalicelib.cert.qr as qr

    rnd = random.Random(7)
    versions = set()
    for length in list(range(1, 60)) + list(range(60, 600, 7)):
        url = "https://ecert.example.com/verify/?c=" + "".join(rnd.choice(_ALPHABET) for _ in range(length))
        version, error, bits = qr._message(url)
        segments = encoder.prepare_data(url, None, None)
        buff = encoder.Buffer()
        for segment in segments:
            encoder.write_segment(buff, segment, None, encoder.version_range(version), False)
        capacity = encoder.consts.SYMBOL_CAPACITY[version][error]
        encoder.write_terminator(buff, capacity, None, len(buff))
        encoder.write_padding_bits(buff, version, len(buff))
        encoder.write_pad_codewords(buff, version, capacity, len(buff))
        assert bits == encoder.make_final_message(version, error, buff).getbits(), url
        versions.add(version)
    assert set(range(3, 21)) <= versions


def test_mask_penalties_n1_and_n3_are_segnos_own_including_overlapping_patterns() -> None:
    """The numpy scoring of runs (N1) and of 1:1:3:1:1 patterns (N3), rows and columns of one
    stack, against segno's `mask_scores` on random symbols, with patterns planted so that
    they overlap (N3's resuming after a counted or an uncounted pattern) and touch the edges."""
    import numpy as np
    from segno import encoder

    from chalicelib.cert.qr import _n3_scores, _runs_scores

    rnd = random.Random(3)
    planted = ([1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0],
               [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0])
    overlapping = 0
    for _ in range(400):
        size = rnd.choice((21, 25, 29, 37))
        dark = rnd.uniform(0.2, 0.8)
        matrix = [bytearray(int(rnd.random() < dark) for _ in range(size)) for _ in range(size)]
        for _ in range(rnd.randrange(12)):
            pattern = rnd.choice(planted)
            row, col = rnd.randrange(size), rnd.randrange(size - len(pattern) + 1)
            matrix[row][col:col + len(pattern)] = bytearray(pattern)
        n1, _, n3, _ = encoder.mask_scores(matrix, size, size)
        stack = np.array([list(row) for row in matrix], dtype=np.uint8)[None]
        lines = np.concatenate((stack, stack.transpose(0, 2, 1)), axis=1)
        assert _n3_scores(lines) == [n3]
        assert _runs_scores(lines).tolist() == [n1]
        overlapping += b"\x01\x00\x01\x01\x01\x00\x01\x00\x01\x01\x01\x00\x01" in b"".join(map(bytes, matrix))
    assert overlapping > 50  # the overlapping case was exercised


def test_error_codewords_are_segnos_for_every_version_and_error_level() -> None:
    from segno import consts, encoder

    import chalicelib.cert.qr as qr

    rnd = random.Random(11)

    class Bits:  # what segno's make_blocks reads from its buffer
        def __init__(self, data: bytes) -> None:
            self._data = data

        def toints(self) -> object:
            return iter(self._data)

    for version in range(1, 41):
        for error in (consts.ERROR_LEVEL_L, consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H):
            ec_infos = consts.ECC[version][error]
            total = sum(info.num_blocks * info.num_data for info in ec_infos)
            for data in (bytes(rnd.randrange(256) for _ in range(total)), bytes(total), b"\xff" * total):
                assert qr._make_blocks(ec_infos, data) == encoder.make_blocks(ec_infos, Bits(data)), (version, error)
