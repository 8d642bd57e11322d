"""The signature's incremental update, written directly onto the PDFs our renderer produces.

Why it exists: pyHanko signs any PDF, so it parses the whole document (cross-reference table,
page tree, the objects it changes) and writes the update through its object model: about 4 ms
of a 6 ms signature, for a file whose layout we know because fpdf2 wrote it a moment ago (one
page, a classic cross-reference table, no form, no annotations, no encryption). Here the update
pyHanko would append is written as text: the catalog with the form, the DocMDP permission and
the ESIC extension, the page with the signature widget, the form, the widget, and the signature
dictionary with a reserved /Contents, then the cross-reference section and trailer. The CMS
container itself still comes from our pyHanko signer (`signing._LoadedKeySigner`).

`prepare` returns None for anything that does not look exactly like that (an existing form or
annotations, several pages, a cross-reference stream, an earlier update, encryption): the
caller then signs through pyHanko. Tests validate the result with pyHanko's validator and with
poppler's `pdfsig`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes

_TAIL = re.compile(rb"\ntrailer\n<<\n(?P<trailer>(?:[^<>]|<[0-9A-Fa-f]*>)*?)\n>>\nstartxref\n(?P<xref>\d+)\n%%EOF\n?$")
_HEADER = re.compile(rb"%PDF-1\.(\d)\n")
_XREF = re.compile(rb"xref\n0 (\d+)\n")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])[ \r][\r\n]")
_REF = rb" (\d+) 0 R"


@dataclass(frozen=True)
class Prepared:
    """The signed PDF with a zero-filled /Contents of `reserved` hex digits at `contents`."""

    data: bytearray
    contents: int  # offset of the first hex digit
    reserved: int

    def digest(self, algorithm: hashes.HashAlgorithm) -> bytes:
        """The digest of the signed byte ranges: everything but the /Contents hex string."""
        digest = hashes.Hash(algorithm)
        with memoryview(self.data) as view:
            digest.update(view[: self.contents - 1])
            digest.update(view[self.contents + self.reserved + 1:])
        return digest.finalize()

    def fill(self, der: bytes) -> bytes | None:
        """The final PDF with the CMS container `der`; None if it does not fit the reservation."""
        digits = der.hex().upper().encode("ascii")
        if len(digits) > self.reserved:
            return None
        self.data[self.contents: self.contents + len(digits)] = digits
        return bytes(self.data)


def _pdf_text(text: str) -> bytes:
    """A PDF text string: plain ASCII letters and digits as a literal, anything else as UTF-16BE
    with its byte order mark, written as a hex string."""
    if re.fullmatch(r"[A-Za-z0-9 ._-]*", text):
        return b"(" + text.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _dictionary(pdf: bytes, offsets: dict[int, int], number: int) -> bytes | None:
    """The entries of object `number`, a dictionary written one entry a line as fpdf2 writes it."""
    at = offsets.get(number)
    head = b"%d 0 obj\n<<\n" % number
    if at is None or not pdf.startswith(head, at):
        return None
    end = pdf.find(b"\n>>\nendobj", at)
    if end < 0 or b"stream" in pdf[at:end]:
        return None
    return pdf[at + len(head): end]


def _xref(pdf: bytes, at: int) -> tuple[dict[int, int], int] | None:
    """{object number: offset} of the one-section cross-reference table at `at`, and its size."""
    match = _XREF.match(pdf, at)
    if match is None:
        return None
    count, pos, offsets = int(match[1]), match.end(), {}
    for number in range(count):
        entry = _ENTRY.match(pdf, pos)
        if entry is None:
            return None
        if entry[3] == b"n":
            offsets[number] = int(entry[1])
        pos = entry.end()
    return offsets, count


def _has_key(entries: bytes, key: bytes) -> bool:
    return entries.startswith(key + b" ") or (b"\n" + key + b" ") in entries or entries.startswith(key + b"\n")


def prepare(pdf: bytes, *, field_name: str, reason: str, location: str, signed_at: datetime,
            reserved: int) -> Prepared | None:
    """`pdf` with a certification signature's update appended, /Contents still zeros; None if
    `pdf` is not a single-page, unsigned, form-less document with a classic xref table."""
    header, tail = _HEADER.match(pdf), _TAIL.search(pdf, max(0, len(pdf) - 4096))
    if header is None or tail is None:
        return None
    trailer = tail["trailer"]
    if any(key in trailer for key in (b"/Prev", b"/Encrypt", b"/XRefStm")):
        return None
    size, root = re.search(rb"/Size (\d+)", trailer), re.search(rb"/Root" + _REF, trailer)
    ids = re.search(rb"/ID \[<([0-9A-Fa-f]+)> ?<[0-9A-Fa-f]+>\]", trailer)
    info = re.search(rb"/Info" + _REF, trailer)
    table = _xref(pdf, int(tail["xref"]))
    if size is None or root is None or ids is None or table is None or table[1] != int(size[1]):
        return None
    offsets, count = table
    catalog = _dictionary(pdf, offsets, int(root[1]))
    if catalog is None or any(_has_key(catalog, k) for k in (b"/AcroForm", b"/Perms", b"/Extensions", b"/Version")):
        return None
    pages_ref = re.search(rb"(?:^|\n)/Pages" + _REF + rb"(?:\n|$)", catalog)
    pages = _dictionary(pdf, offsets, int(pages_ref[1])) if pages_ref else None
    kids = re.search(rb"(?:^|\n)/Kids \[(\d+) 0 R\](?:\n|$)", pages) if pages else None
    if pages is None or kids is None or not re.search(rb"(?:^|\n)/Count 1(?:\n|$)", pages):
        return None
    page_no, root_no = int(kids[1]), int(root[1])
    page = _dictionary(pdf, offsets, page_no)
    if page is None or _has_key(page, b"/Annots") or not re.search(rb"(?:^|\n)/Type /Page(?:\n|$)", page):
        return None

    form, widget, signature = count, count + 1, count + 2
    version = b"\n/Version /1.7" if int(header[1]) < 7 else b""
    objects: dict[int, bytes] = {
        root_no: catalog + version + b"\n/AcroForm %d 0 R\n/Extensions <</ESIC <</Type /DeveloperExtensions "
                 b"/BaseVersion /1.7 /ExtensionLevel 1>>>>\n/Perms <</DocMDP %d 0 R>>" % (form, signature),
        page_no: page + b"\n/Annots [%d 0 R]" % widget,
        form: b"/Fields [%d 0 R]\n/SigFlags 3" % widget,
        widget: b"/FT /Sig\n/T %s\n/Type /Annot\n/Subtype /Widget\n/F 132\n/Rect [0 0 0 0]\n/P %d 0 R\n/V %d 0 R"
                % (_pdf_text(field_name), page_no, signature),
    }
    sig_entries = (
        b"/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n"
        + b"/M (D:%s)\n" % signed_at.strftime("%Y%m%d%H%M%SZ").encode("ascii")
        + (b"/Location %s\n" % _pdf_text(location) if location else b"")
        + b"/Reason %s\n" % _pdf_text(reason)
        + b"/Reference [<</Type /SigRef /TransformMethod /DocMDP /TransformParams "
          b"<</Type /TransformParams /V /1.2 /P 1>>>>]\n"
    )

    out = bytearray(pdf)
    if not out.endswith(b"\n"):
        out += b"\n"
    written: dict[int, int] = {}
    for number in sorted(objects):
        written[number] = len(out)
        out += b"%d 0 obj\n<<\n%s\n>>\nendobj\n" % (number, objects[number])
    written[signature] = len(out)
    out += b"%d 0 obj\n<<\n%s/ByteRange " % (signature, sig_entries)
    range_at = len(out)
    out += b"[0 0 0 0]" + b" " * 33 + b"\n/Contents <"
    contents = len(out)
    out += b"0" * reserved + b">\n>>\nendobj\n"

    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    numbers = sorted(written)
    start = 0
    while start < len(numbers):  # consecutive object numbers share a subsection
        end = start
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        out += b"%d %d\n" % (numbers[start], end - start + 1)
        for number in numbers[start:end + 1]:
            out += b"%010d 00000 n \n" % written[number]
        start = end + 1
    out += b"trailer\n<<\n/Size %d\n/Root %d 0 R\n" % (count + 3, root_no)
    if info is not None:
        out += b"/Info %d 0 R\n" % int(info[1])
    out += b"/ID [<%s> <%s>]\n/Prev %d\n>>\nstartxref\n%d\n%%%%EOF\n" % (
        ids[1], secrets.token_hex(16).upper().encode("ascii"), int(tail["xref"]), xref_at)

    after = contents + reserved + 1  # just past the closing '>'
    byte_range = b"[0 %d %d %d]" % (contents - 1, after, len(out) - after)
    if len(byte_range) > 42:
        return None
    out[range_at: range_at + 42] = byte_range.ljust(42)
    return Prepared(out, contents, reserved)
