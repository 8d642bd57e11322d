"""Run the mini-program's Node tests from pytest, so `make test` runs them with everything else.

The packages come from miniprogram/package-lock.json (`npm ci`, exact versions) when
node_modules is missing or older than the lock file. A failing Node test fails the pytest test with Node's own output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MINI = ROOT / "miniprogram"


def ensure_node_modules() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js 20 and npm are needed for the mini-program tests")
    installed = MINI / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= (MINI / "package-lock.json").stat().st_mtime:
        return
    run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=MINI, capture_output=True, text=True,
                         timeout=600)
    if run.returncode != 0:
        pytest.fail("npm ci failed in miniprogram/:\n" + run.stdout + run.stderr)


def meta_json(tmp_path: Path) -> Path:
    """/meta/fields and /meta/messages as the API serves them, for the page tests."""
    from chalicelib import client_text
    from chalicelib.members import schema
    from chalicelib.photo.spec import SPEC

    fields = {**schema.meta(), "photo_spec": SPEC.public()}
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"fields": fields, "messages": client_text.messages()}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def run_node_tests(files: list[str], env: dict[str, str], timeout: int = 900) -> None:
    ensure_node_modules()
    full_env = {**os.environ, **env}
    run = subprocess.run(["node", "--test", "--test-reporter=spec", *files], cwd=MINI, env=full_env,
                         capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        pytest.fail(f"node --test {' '.join(files)} failed:\n{run.stdout[-20000:]}\n{run.stderr[-5000:]}",
                    pytrace=False)
    sys.stdout.write(run.stdout[-3000:])
