"""The rooms' doors hold (docs/architecture.md, "The arrows"): no room imports another room's
PynamoDB models, and the rooms that use members (auth, photo, cert, jobs) reach them only through
`members.records`, never `members.access` (which hands out the storage model) or
`members.models`. Checked on the source (AST), so an import inside a function or named for
`lazy_module(...)` counts too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ROOMS = ("auth", "cert", "jobs", "members", "photo")
MEMBER_USERS = ("auth", "cert", "jobs", "photo")
MEMBERS_INSIDE = ("chalicelib.members.access", "chalicelib.members.models")
# Files that still cross a door, each with the reason; the tests fail if one of them stops
# crossing, so the list only shrinks.
KNOWN_CROSSINGS: dict[str, str] = {}


def _imported(path: Path) -> set[str]:
    """Every module the file names in an import, plus dotted `chalicelib.…` strings (lazy imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("chalicelib."):
            names.add(node.value)
    return names


def _files(room: str) -> list[Path]:
    return sorted((ROOT / "chalicelib" / room).rglob("*.py"))


def test_the_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import chalicelib.members.models\n"
                     "from chalicelib.members import access\n"
                     "def f():\n    from chalicelib.photo.models import UploadModel\n"
                     "lazy = lazy_module('chalicelib.members.access')\n", encoding="utf-8")
    found = _imported(probe)
    assert {"chalicelib.members.models", "chalicelib.members.access", "chalicelib.photo.models"} <= found


def test_no_room_imports_another_rooms_models() -> None:
    crossings = [f"{path.relative_to(ROOT)} imports {name}"
                 for room in ROOMS for path in _files(room) for name in sorted(_imported(path))
                 for other in ROOMS if other != room and name == f"chalicelib.{other}.models"]
    assert sorted(set(crossings) - set(KNOWN_CROSSINGS)) == [], "\n".join(crossings)


def test_other_rooms_reach_members_only_through_records() -> None:
    crossings = [f"{path.relative_to(ROOT)} imports {name}"
                 for room in MEMBER_USERS for path in _files(room) for name in sorted(_imported(path))
                 if name in MEMBERS_INSIDE]
    assert sorted(set(crossings) - set(KNOWN_CROSSINGS)) == [], "\n".join(crossings)
    assert sorted(set(KNOWN_CROSSINGS) - set(crossings)) == [], "no longer crossing: remove from KNOWN_CROSSINGS"
