"""Both member clients say the same thing from one source.

The texts both clients show live in `chalicelib/client_text.py`, served at `GET /meta/messages`:
- the web pages read them too (`frontend/js/texts.js`, `t("key")`) and carry no copy: no string
  literal of `frontend/js` and no text of the pages' HTML is a table text (or contains one that
  reads like a message), and every key given to `t()` exists in the table;
- the mini-program reads them from the API and carries no copy: no message-like literal of its
  sources (a sentence of four or more Chinese characters, or seven or more) may appear in the web page's sources,
  in the table, or among the API's own messages (which it shows as given);
- every text key the mini-program uses exists in the table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from chalicelib.client_text import TEXTS

ROOT = Path(__file__).resolve().parents[3]
MINI = ROOT / "miniprogram"
WEB = ROOT / "frontend"

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE = re.compile(r"[,。;:?!]")
JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`')
TEXT_KEY = re.compile(r"\bt\.([a-z_][a-z0-9_.]*)")
META_T = re.compile(r"meta\.t\(\s*\"([a-z_][a-z0-9_.]*)\"")
META_T_PREFIX = re.compile(r"meta\.t\(\s*\"([a-z_][a-z0-9_]*)\.\"\s*\+")


def flatten(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from flatten(v)
    else:
        for v in value:
            yield from flatten(v)


def web_source() -> str:
    files = sorted(WEB.glob("js/**/*.js")) + sorted(WEB.glob("**/*.html"))
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def as_web_pattern(text: str) -> re.Pattern[str]:
    """A table text with {placeholders} as it appears in a JS template literal (${...})."""
    return re.compile(re.sub(r"\\\{\w+\\\}", r"\\$\\{[^}]+\\}", re.escape(text)))


def strip_js_comments(src: str) -> str:
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", src)


def wxml_literals(src: str) -> Iterator[str]:
    src = re.sub(r"<!--.*?-->", "", src, flags=re.S)
    for chunk in re.split(r"\{\{.*?\}\}", src, flags=re.S):
        for piece in re.split(r"<[^>]*>|\"|=", chunk):
            yield piece.strip()
    for expr in re.findall(r"\{\{(.*?)\}\}", src, flags=re.S):
        for m in JS_STRING.finditer(expr):
            yield next(g for g in m.groups() if g is not None)


def js_literals(src: str) -> Iterator[str]:
    for m in JS_STRING.finditer(strip_js_comments(src)):
        yield next(g for g in m.groups() if g is not None)


def mini_sources() -> list[Path]:
    return [p for p in MINI.rglob("*") if p.suffix in (".js", ".wxml") and "node_modules" not in p.parts
            and "test" not in p.parts]


def mini_literals() -> Iterator[tuple[Path, str]]:
    for path in mini_sources():
        src = path.read_text(encoding="utf-8")
        for lit in (wxml_literals(src) if path.suffix == ".wxml" else js_literals(src)):
            if CJK.search(lit):
                yield path, lit.strip()


def message_like(text: str) -> bool:
    """A sentence or a long label; short words ("登录", "次。") are the UI's own."""
    n = len(CJK.findall(text))
    return n >= 7 or (n >= 4 and bool(SENTENCE.search(text)))


def api_messages() -> set[str]:
    out: set[str] = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        if path.name == "client_text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value):
                out.add(node.value)
    return out


def copies(literals: list[tuple[Path, str]], web: str, table: set[str], api: set[str]) -> list[str]:
    """Message-like mini-program literals that are copies of a web, table or API text."""
    found = []
    for path, lit in literals:
        if not message_like(lit):
            continue
        if lit in web or lit in table or any(lit in m for m in api if message_like(m)):
            found.append(f"{path.relative_to(ROOT)}: {lit!r}")
    return found


def web_literals() -> Iterator[tuple[Path, str]]:
    for path in sorted(WEB.glob("js/**/*.js")):
        for lit in js_literals(path.read_text(encoding="utf-8")):
            if CJK.search(lit):
                yield path, lit.strip()
    for path in sorted(WEB.glob("**/*.html")):
        src = re.sub(r"<!--.*?-->|<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
        for piece in re.split(r"<[^>]*>", src):
            if CJK.search(piece):
                yield path, " ".join(piece.split())
        for attr in re.findall(r'(?:placeholder|aria-label|title|alt)="([^"]*)"', src):
            if CJK.search(attr):
                yield path, attr


def as_web_template(text: str) -> re.Pattern[str]:
    """A table text as a JS template would rebuild it: {placeholders} and figures as ${...}."""
    pattern = re.sub(r"\\\{\w+\\\}", r"\\$\\{[^}]+\\}", re.escape(text))
    return re.compile(re.sub(r"\d+", r"(?:\\d+|\\$\\{[^}]+\\})", pattern))


def web_copies(literals: list[tuple[Path, str]]) -> list[str]:
    """Web literals that are a table text, or contain one that reads like a message."""
    texts = [(t, as_web_template(t)) for t in flatten(TEXTS) if CJK.search(t)]
    found = []
    for path, lit in literals:
        for text, pattern in texts:
            if pattern.fullmatch(lit) or (message_like(text) and pattern.search(lit)):
                found.append(f"{path.relative_to(ROOT)}: {lit!r} (table: {text!r})")
                break
    return found


def test_the_web_pages_carry_no_copy_of_a_shared_text() -> None:
    literals = list(web_literals())
    assert len(literals) > 50, "the extractor found too few literals to be trusted"
    found = web_copies(literals)
    assert not found, "read these with t(\"key\") from frontend/js/texts.js:\n" + "\n".join(found)


def test_the_web_check_would_catch_a_copy() -> None:
    fake = [(WEB / "js" / "x.js", "比对成功"), (WEB / "js" / "x.js", "请先勾选同意人脸信息处理规则。"),
            (WEB / "js" / "x.js", "您还可以上传 ${left} 次。"), (WEB / "js" / "x.js", "比对"),
            (WEB / "js" / "x.js", "照片文件过大,请选择不超过 ${mb(spec)} MB 的照片")]
    assert len(web_copies(fake)) == 4


WEB_T = re.compile(r"\bt\(\s*[\"'`]([a-z_][a-z0-9_.]*)[\"'`]")
WEB_T_PREFIX = re.compile(r"\bt\(\s*[\"'`]([a-z_][a-z0-9_]*)\.[\"'`]\s*\+")


def test_every_text_key_the_web_pages_use_exists() -> None:
    src = "\n".join(strip_js_comments(p.read_text(encoding="utf-8")) for p in WEB.glob("js/**/*.js"))
    used = {k for k in WEB_T.findall(src) if not k.endswith(".")}
    assert len(used) > 40
    unknown = sorted(k for k in used if _lookup(k) is None)
    assert not unknown, f"text keys not in chalicelib/client_text.py: {unknown}"
    prefixes = set(WEB_T_PREFIX.findall(src))
    assert all(isinstance(_lookup(p), dict) for p in prefixes), prefixes


def test_the_mini_program_carries_no_copy_of_a_shared_or_api_text() -> None:
    literals = list(mini_literals())
    assert len(literals) > 20, "the extractor found too few literals to be trusted"
    found = copies(literals, web_source(), set(flatten(TEXTS)), api_messages())
    assert not found, "read these from /meta/messages or show the API's message instead:\n" + "\n".join(found)


def test_the_check_would_catch_a_copy() -> None:
    fake = [(MINI / "pages" / "x.js", "请您先将基础信息中的必填信息补充完整"), (MINI / "pages" / "x.js", "用户名或密码错误")]
    found = copies(fake, web_source(), set(flatten(TEXTS)), api_messages())
    assert len(found) == 2


def _lookup(key: str) -> Any:
    value: Any = TEXTS
    for part in key.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def test_every_text_key_the_mini_program_uses_exists() -> None:
    used: set[str] = set()
    prefixes: set[str] = set()
    for path in mini_sources():
        src = path.read_text(encoding="utf-8")
        used.update(TEXT_KEY.findall(src) if path.suffix == ".wxml" else [])
        used.update(k for k in META_T.findall(src) if not k.endswith("."))
        prefixes.update(META_T_PREFIX.findall(src))
    assert len(used) > 30
    unknown = sorted(k for k in used if _lookup(k) is None)
    assert not unknown, f"text keys not in chalicelib/client_text.py: {unknown}"
    assert all(isinstance(_lookup(p), dict) for p in prefixes), prefixes


@pytest.mark.parametrize("key", ["match_success", "match_failed", "review_title", "info_incomplete",
                                 "photo_missing", "photo_unavailable", "confirm_and_download", "save_and_submit"])
def test_the_manual_words_are_in_the_table(key: str) -> None:
    assert isinstance(TEXTS[key], str) and TEXTS[key]
