"""The certificate's QR code, drawn as vector rectangles with fpdf2.

Why vectors: the QR code must scan from a phone photo of a printout; vector modules stay crisp at
any printer resolution and cost a few hundred bytes. Each row's runs of dark modules become one
rectangle, which keeps the content stream small (about 300 rectangles for a version-5 code).
Runs of equal position in consecutive rows merge into one taller rectangle (about 20 % fewer).

Speed: every certificate has its own URL, so nothing here can be cached across members. segno
chooses the data mask by building and scoring all eight candidates module by module in Python,
which was the largest single cost of a render (~15 ms). `_best_mask` makes the same choice with
the same penalty rules (ISO/IEC 18004 7.8.3, as segno scores them, including its N3 quirks) on
numpy arrays. segno's codeword placement and masking walk the matrix module by module too: we
take segno's own message (data and error correction bits, `_message`) and place it with one
numpy scatter along the placement order, computed once per symbol size; the symbol is exactly
the one segno makes (tests compare both over many URLs). segno's final message (error
correction blocks, interleaving) converts between bits and bytes one bit at a time in Python;
`_final_message` does those conversions with numpy and segno's Reed-Solomon division with a
shift register held in one integer (`_make_blocks`; the same bits). numpy is not a runtime dependency of every function (it comes with the face layer where
that is attached): without it, segno makes the symbol. Dark runs are found with numpy as well, and the rectangles go to the page as one
block of the operators `FPDF.rect` writes, without its per-call overhead, their numbers formatted
once per symbol size.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain, zip_longest
from typing import Any

import segno
from fpdf import FPDF
from segno import consts as _consts
from segno import encoder as _enc

try:
    import numpy as np
except ImportError:  # pragma: no cover - exercised by a test that hides numpy
    np = None  # type: ignore[assignment]

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires


@lru_cache(maxsize=64)
def qr_rects(url: str) -> tuple[int, tuple[tuple[int, int, int, int], ...]]:
    """(size in modules, dark areas as (row, column, width, height) in modules) for `url`.

    Error correction M (15 %) survives a fold or a stain; segno raises it further when that does
    not enlarge the symbol.
    """
    matrix = qr_matrix(url)
    if np is not None:
        return len(matrix), _merged_runs(matrix)
    open_runs: dict[tuple[int, int], list[int]] = {}  # (column, width) -> [first row, last row]
    rects: list[tuple[int, int, int, int]] = []
    for y, start, width in _dark_runs(matrix):
        key = (start, width)
        run = open_runs.get(key)
        if run is not None and run[1] == y - 1:
            run[1] = y
        else:
            if run is not None:
                rects.append((run[0], start, width, run[1] - run[0] + 1))
            open_runs[key] = [y, y]
    rects += [(first, col, w, last - first + 1) for (col, w), (first, last) in open_runs.items()]
    rects.sort()
    return len(matrix), tuple(rects)


def _merged_runs(matrix: tuple[bytearray, ...]) -> tuple[tuple[int, int, int, int], ...]:
    """`qr_rects`' merging with numpy: the runs ordered by (column, width, row), a rectangle
    starting wherever the column or width changes or a row is skipped; the same rectangles
    (maximal stacks of equal runs in consecutive rows), in the same sorted order."""
    rows, starts, widths = _dark_run_arrays(matrix)
    order = np.lexsort((rows, widths, starts))
    rows, starts, widths = rows[order], starts[order], widths[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (starts[1:] != starts[:-1]) | (widths[1:] != widths[:-1]) | (rows[1:] != rows[:-1] + 1)
    first = np.flatnonzero(new)
    heights = np.diff(np.append(first, len(rows)))
    top, left, wide = rows[first], starts[first], widths[first]
    order = np.lexsort((heights, wide, left, top))
    return tuple(zip(top[order].tolist(), left[order].tolist(), wide[order].tolist(), heights[order].tolist()))


def _dark_run_arrays(matrix: tuple[bytearray, ...]) -> tuple[Any, Any, Any]:
    """`_dark_runs` as three numpy arrays: rows, first columns, widths."""
    size = len(matrix)
    edges = np.zeros((size, size + 2), dtype=np.int8)
    edges[:, 1:-1] = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(size, size) != 0
    steps = np.diff(edges, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)  # row-major order: the n-th end closes the n-th start
    return rows, starts, ends - starts


def _dark_runs(matrix: tuple[bytearray, ...]) -> list[tuple[int, int, int]]:
    """(row, first column, width) of every horizontal run of dark modules, row by row, left to right."""
    if np is not None:  # ~10× faster than walking ~1,400 modules one by one
        rows, starts, widths = _dark_run_arrays(matrix)
        return list(zip(rows.tolist(), starts.tolist(), widths.tolist()))
    runs = []
    for y, row in enumerate(matrix):
        x, width = 0, len(row)
        while x < width:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < width and row[x]:
                x += 1
            runs.append((y, start, x - start))
    return runs


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The QR symbol of `url` as segno makes it (`segno.make(url, error="m", micro=False)`)."""
    if np is None:
        return tuple(segno.make(url, error="m", micro=False).matrix)
    version, error, bits = _message(url)
    size = _enc.calc_matrix_size(version)
    data, fixed, patterns, order = _regions(size)
    # Codeword placement (ISO/IEC 18004 7.7.3) as one scatter along segno's placement order.
    flat = fixed.ravel().copy()
    flat[order[: len(bits)]] = np.frombuffer(bytes(bits), dtype=np.uint8)
    unmasked = flat.reshape(size, size)
    best = _best_mask(unmasked)
    final = np.where(data, unmasked ^ patterns[best], unmasked)
    rows = tuple(bytearray(row.tobytes()) for row in final)
    _enc.add_format_info(rows, version, error, best)
    _enc.add_version_info(rows, version)
    return rows


def _message(url: str) -> tuple[int, int, bytearray]:
    """(version, error level, final message bits) of `url`, by segno's own steps up to codeword
    placement (`segno.encoder.encode` / `_encode` for a QR code, error level M boosted)."""
    segments = _enc.prepare_data(url, None, None)
    error = _enc.normalize_errorlevel("m")
    version = _enc.find_version(segments, error, eci=False, micro=False)
    error = _enc.boost_error_level(version, error, segments, False)
    buff = _enc.Buffer()
    ver_range = _enc.version_range(version)
    for segment in segments:
        _enc.write_segment(buff, segment, None, ver_range, False)
    capacity: int = _consts.SYMBOL_CAPACITY[version][error]  # type: ignore[index]
    _enc.write_terminator(buff, capacity, None, len(buff))
    _enc.write_padding_bits(buff, version, len(buff))
    _enc.write_pad_codewords(buff, version, capacity, len(buff))
    return version, error, _final_message(version, error, buff.getbits())


def _final_message(version: int, error: int, bits: bytearray) -> bytearray:
    """segno's `make_final_message(version, error, buff).getbits()` for a QR code (not Micro QR):
    the same blocks (segno's Reed-Solomon code, `_make_blocks`), interleaved the same way, with
    the same remainder bits; the conversions between bits and bytes, which segno does one bit at a
    time in Python (most of a symbol's encoding time), done by numpy."""
    codewords = np.packbits(np.frombuffer(bytes(bits), dtype=np.uint8)).tobytes()  # zero-padded, as `toints`
    ec_infos = _consts.ECC[version][error]  # type: ignore[index]
    data_blocks, error_blocks = _make_blocks(ec_infos, codewords)
    interleaved = bytes(x for blocks in (data_blocks, error_blocks)
                        for x in chain.from_iterable(zip_longest(*blocks)) if x is not None)
    final = bytearray(np.unpackbits(np.frombuffer(interleaved, dtype=np.uint8)).tobytes())
    final.extend(bytes(_remainder_bits(version)))
    return final


def _make_blocks(ec_infos: Any, codewords: bytes) -> tuple[list[bytearray], list[bytearray]]:
    """segno's `make_blocks(ec_infos, buff)`: the data blocks and their Reed-Solomon error
    codewords. segno divides each block by the generator polynomial term by term (a Python
    loop over every data codeword times every error codeword); the same division here runs as
    a shift register held in one integer, XORed per data codeword with the generator's
    multiple for that coefficient (`_rs_multiples`, from segno's own tables): the same
    remainders (a test compares with segno for every version and error level)."""
    data_blocks, error_blocks = [], []
    at = 0
    for ec_info in ec_infos:
        num_error_words = ec_info.num_total - ec_info.num_data
        multiples = _rs_multiples(num_error_words)
        shift, keep = 8 * (num_error_words - 1), (1 << (8 * num_error_words)) - 1
        for _ in range(ec_info.num_blocks):
            block = bytearray(codewords[at:at + ec_info.num_data])
            at += ec_info.num_data
            data_blocks.append(block)
            remainder = 0
            for value in block:
                remainder = ((remainder << 8) & keep) ^ multiples[value ^ (remainder >> shift)]
            error_blocks.append(bytearray(remainder.to_bytes(num_error_words, "big")))
    return data_blocks, error_blocks


@lru_cache(maxsize=64)
def _rs_multiples(num_error_words: int) -> tuple[int, ...]:
    """For each coefficient 0-255, the generator polynomial of `num_error_words` error
    codewords multiplied by it (GF(256), segno's log/antilog tables), as one big-endian integer."""
    gen, log, exp = _consts.GEN_POLY[num_error_words], _consts.GALIOS_LOG, _consts.GALIOS_EXP
    return (0, *(int.from_bytes(bytes(exp[log[coef] + gen[n]] for n in range(num_error_words)), "big")
                 for coef in range(1, 256)))


def _remainder_bits(version: int) -> int:
    """ISO/IEC 18004 7.6: the bits after the last codeword that fill the encoding region (segno's table)."""
    if version in (2, 3, 4, 5, 6):
        return 7
    if version in (14, 15, 16, 17, 18, 19, 20, 28, 29, 30, 31, 32, 33, 34):
        return 3
    if version in (21, 22, 23, 24, 25, 26, 27):
        return 4
    return 0


@lru_cache(maxsize=8)
def _regions(size: int) -> tuple[Any, Any, tuple[Any, ...], Any]:
    """For a symbol of `size` modules: where data is (the masked region), what the other modules
    hold before masking (finders, timing, reserved format/version areas: no format bits yet),
    the eight mask patterns, and the data modules' flat indices in codeword placement order."""
    before = _enc.make_matrix(size, size)
    _enc.add_finder_patterns(before, size, size)
    _enc.add_alignment_patterns(before, size, size)
    function = [bytearray(row) for row in before]
    function[-8][8] = 0x1  # the dark module, as segno marks it
    data = np.array([list(row) for row in function], dtype=np.uint8) > 1
    fixed = np.array([list(row) for row in before], dtype=np.uint8)
    i, j = np.indices((size, size))
    patterns = tuple(np.asarray(fn(i, j), dtype=bool) & data for fn in _enc.get_data_mask_functions(False))
    return data, fixed, patterns, np.array(_placement(before), dtype=np.intp)


def _placement(matrix: Any) -> list[int]:
    """Flat indices of the free modules in the order segno's `add_codewords` fills them: two-module
    columns from the right, alternately upwards and downwards, skipping the timing column."""
    size = len(matrix)
    order = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (size - 1 - vertical) if upwards else vertical
                if matrix[i][j] == 0x2:
                    order.append(i * size + j)
    return order


def _best_mask(unmasked: Any) -> int:
    """The mask segno's `find_and_apply_best_mask` picks for the symbol before masking: the eight
    candidates are scored together, as one stack of matrices."""
    size = unmasked.shape[0]
    stack = unmasked[None] ^ _stacked(size)
    lines = np.concatenate((stack, stack.transpose(0, 2, 1)), axis=1)  # each matrix's rows, then its columns
    n1 = _runs_scores(lines)
    top = stack[:, :-1, :-1]
    n2 = 3 * np.count_nonzero((top == stack[:, 1:, :-1]) & (top == stack[:, :-1, 1:]) & (top == stack[:, 1:, 1:]),
                              axis=(1, 2))
    n3 = _n3_scores(lines)
    scores = []
    for mask, (dark, r1, r2) in enumerate(zip(stack.reshape(stack.shape[0], -1).sum(axis=1, dtype=np.int64).tolist(),
                                             n1.tolist(), n2.tolist(), strict=True)):
        percent = float(dark) / (size ** 2)
        n4 = 10 * int(abs(percent * 100 - 50) / 5)
        scores.append(r1 + r2 + n3[mask] + n4)
    return int(np.argmin(scores))  # the first of equal scores, as segno's strict comparison


@lru_cache(maxsize=8)
def _stacked(size: int) -> Any:
    """The eight mask patterns of a `size` symbol as one (8, size, size) array of 0/1."""
    return np.stack(_regions(size)[2]).astype(np.uint8)


def _runs_scores(stack: Any) -> Any:
    """N1 along the rows of each matrix (rows and columns, when the columns are stacked below
    the rows): each run of ≥ 5 equal modules scores its length − 2."""
    count, rows, size = stack.shape
    lines = stack.reshape(count * rows, size)
    change = np.ones((lines.shape[0], size + 1), dtype=bool)
    change[:, 1:-1] = lines[:, 1:] != lines[:, :-1]
    starts = np.flatnonzero(change.ravel())
    runs = np.diff(starts)
    inside = (starts[:-1] % (size + 1)) != size  # drop the gaps between rows
    runs, line = runs[inside], starts[:-1][inside] // (size + 1)
    score = np.where(runs >= 5, runs - 2, 0)
    return np.bincount(line, weights=score, minlength=count * rows).reshape(count, rows).sum(axis=1).astype(np.int64)


def _n3_scores(stack: Any) -> list[int]:
    """N3 over the rows (and columns, stacked below them) of each matrix, exactly as segno counts
    it: 40 per 1:1:3:1:1 pattern at an edge or with four light modules on one side; after a
    counted pattern the search resumes behind it, after an uncounted one at its fourth module.

    Where the pattern starts (overlapping ones too) and whether each is counted (at an edge, or
    no dark module among the four before or the four after it: the lines' running dark counts)
    are found with numpy; only in a line where a pattern overlaps the one before it does the
    resuming matter (it depends on whether that one was counted): the patterns of those lines
    (a few dozen) are walked in order, the others are added up."""
    count, rows, size = stack.shape
    lines = stack.reshape(count * rows, size) != 0
    width = size - 6
    match = lines[:, 0:width] & lines[:, 2:width + 2] & lines[:, 3:width + 3] & lines[:, 4:width + 4] \
        & lines[:, 6:width + 6] & ~lines[:, 1:width + 1] & ~lines[:, 5:width + 5]
    line, idx = np.nonzero(match)  # in line order, left to right
    dark = np.zeros((count * rows, size + 1), dtype=np.int32)
    np.cumsum(lines, axis=1, out=dark[:, 1:])
    before = dark[line, idx] - dark[line, np.maximum(idx - 4, 0)]
    after = dark[line, np.minimum(idx + 11, size)] - dark[line, idx + 7]
    counted = (idx == 0) | (idx == size - 7) | (before == 0) | (after == 0)
    overlapping = np.zeros(count * rows, dtype=bool)  # lines where a pattern overlaps the one before it
    overlapping[line[1:][(line[1:] == line[:-1]) & (idx[1:] - idx[:-1] < 7)]] = True
    walked = overlapping[line]
    scores = [40 * int(n) for n in np.bincount(line[counted & ~walked] // rows, minlength=count)]
    current, resume = -1, 0
    for ln, at, yes in zip(line[walked].tolist(), idx[walked].tolist(), counted[walked].tolist()):
        if ln != current:
            current, resume = ln, 0
        if at < resume:
            continue
        if yes:
            scores[ln // rows] += 40
            resume = at + 7
        else:
            resume = at + 4
    return scores


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
    # Byte for byte what `pdf.rect(..., style="F")` writes per rectangle, in one call; the numbers
    # are computed as it computes them and formatted as it formats them ("%.2f" is the "{:.2f}"
    # of an f-string). Each is a function of one module count (column, row, width or height)
    # for a symbol size and placement, so they are formatted once per symbol size (`_grid`).
    if rects:
        xs, ys, ws, hs = _grid(modules, origin_x, origin_y, module, overlap, pdf.k, pdf.h)
        pdf._out("\n".join([f"{xs[col]} {ys[row]} {ws[width]} {hs[height]} re f"
                             for row, col, width, height in rects]))


@lru_cache(maxsize=16)
def _grid(modules: int, origin_x: float, origin_y: float, module: float, overlap: float, k: float,
          page_h: float) -> tuple[tuple[str, ...], ...]:
    """The numbers `FPDF.rect` writes for an area of the symbol, by module count: its left edge
    by column, its top edge by row, its width and its (negative) height by modules, formatted."""
    count = range(modules + 1)
    xs = tuple("%.2f" % ((origin_x + col * module) * k) for col in count)
    ys = tuple("%.2f" % ((page_h - (origin_y + row * module)) * k) for row in count)
    ws = tuple("%.2f" % ((width * module + overlap) * k) for width in count)
    hs = tuple("%.2f" % (-(height * module + overlap) * k) for height in count)
    return xs, ys, ws, hs
