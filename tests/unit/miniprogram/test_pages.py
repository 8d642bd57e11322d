"""The mini-program's page tests (miniprogram-simulate with a scripted `wx`), run from pytest."""

from __future__ import annotations

from pathlib import Path

from tests.unit.miniprogram.node import MINI, meta_json, run_node_tests


def test_mini_program_pages(tmp_path: Path) -> None:
    files = sorted(str(p.relative_to(MINI)) for p in (MINI / "test").glob("*.test.js") if p.name != "e2e.test.js")
    assert files, "no page tests found"
    run_node_tests(files, {"ECERT_META_JSON": str(meta_json(tmp_path))})
