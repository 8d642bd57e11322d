"""The support CLI in a real subprocess, as support staff run it: no AWS settings at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import FACES, ROOT


def test_check_in_a_subprocess_needs_no_aws_settings() -> None:
    # Only what a support laptop has: no table, bucket, queue or key variables at all.
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_TABLE", "_BUCKET", "_QUEUE", "_KEY", "_PEM"))}
    env.update({"FACE_ENGINE": "dlib", "PYTHONPATH": str(ROOT)})
    proc = subprocess.run(
        [sys.executable, "-m", "chalicelib.photo", "check", str(FACES / "spec_white" / "obama_02.jpg"),
         "--reference", str(FACES / "spec_white" / "obama_01.jpg")],
        cwd=ROOT, env=env, capture_output=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    body = json.loads(proc.stdout.decode("utf-8"))
    assert body["status"] == "accepted" and body["message"] == "比对成功"
    assert [c["rule"] for c in body["checks"]][-1] == "face_match"
    assert body["engine"] == "dlib" and isinstance(body["score"], float)
    assert proc.stderr == b""
