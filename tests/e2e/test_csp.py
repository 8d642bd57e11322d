"""The site's Content-Security-Policy, over HTTP on every page of the local stack and in Chromium.

The pages carry no inline code (checked in the HTML files), the local server sends the policy
`devstack.csp` builds on every page, and Chromium really refuses an inline script under it.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.csp import REFERRER_POLICY, content_security_policy
from tests.conftest import ROOT

pytestmark = [pytest.mark.stack, pytest.mark.e2e]

FRONTEND = ROOT / "frontend"
PAGES = sorted(FRONTEND.rglob("*.html"))
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


def _url_path(page: Path) -> str:
    rel = page.relative_to(FRONTEND).as_posix()
    return "/" + rel.removesuffix("index.html")


def _headers(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(FRONTEND).as_posix())
def test_pages_have_no_inline_script_or_style(page: Path) -> None:
    found = INLINE.findall(page.read_text(encoding="utf-8"))
    assert not found, f"{page.name}: inline code or style, which the CSP refuses: {found}"


def test_every_page_carries_the_policy(stack: Any) -> None:
    moto = "http://127.0.0.1:" + str(_moto_port(stack))
    expected = content_security_policy(api=[stack.api], photos=[moto])
    paths = [_url_path(p) for p in PAGES] + ["/config.js", "/_dev/mail", "/no-such-page"]
    assert "/" in paths and "/admin/" in paths and "/verify/" in paths
    for path in paths:
        status, headers = _headers(stack.web + path)
        assert status in (200, 404), path
        assert headers["Content-Security-Policy"] == expected, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == REFERRER_POLICY, path
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      f"connect-src 'self' {stack.api} {moto}", f"img-src 'self' data: blob: {moto}",
                      "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'", "form-action 'self'"):
        assert directive in expected
    assert "unsafe" not in expected


def _moto_port(stack: Any) -> int:
    """The moto port the stack printed in its banner."""
    for line in stack.output:
        if line.strip().startswith("moto (AWS)"):
            return urlsplit(line.split()[-1]).port or 0
    raise AssertionError("the stack did not print its moto endpoint")


def test_chromium_refuses_inline_script_and_reports_it(page: Any, stack: Any, console: Any) -> None:
    page.goto(stack.web + "/lookup/")
    ran = page.evaluate("""() => new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), {once: true});
      const s = document.createElement("script");
      s.textContent = "window.__inlineRan = true";
      document.body.append(s);
      setTimeout(() => resolve(window.__inlineRan ? "ran" : "no report"), 2000);
    })""")
    assert ran == "script-src-elem"
    assert any("CSP violation:" in e for e in console.errors)
    console.errors.clear()  # the violation was the point of this test
