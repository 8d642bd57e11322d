"""The support CLI: one real subprocess (as support staff run it), the rest in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from chalicelib.photo.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
FACES = ROOT / "tests" / "fixtures" / "faces"


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


def test_check_exit_codes(capsysbinary, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    white, real = FACES / "spec_white" / "obama_03.jpg", FACES / "spec" / "obama_03.jpg"
    assert main(["check", str(real), "--reference", str(white)]) == 1
    body = json.loads(capsysbinary.readouterr().out)
    assert body["status"] == "rejected"
    assert [c["rule"] for c in body["checks"] if not c["ok"]] == ["background", "face_match"]
    assert main(["check", str(white)]) == 1  # no reference: review
    assert json.loads(capsysbinary.readouterr().out)["status"] == "review"
    assert main(["check", str(white), "--spec-only"]) == 0
    assert main(["check", str(FACES / "no-such-file.jpg")]) == 2


def test_prepare_writes_the_candidate(tmp_path, capsysbinary, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fitted.jpg"
    code = main(["prepare", str(FACES / "orig" / "hopper_01.jpg"), str(out)])
    body = json.loads(capsysbinary.readouterr().out)
    assert code == 1  # written, but the real background is reported
    assert [c["rule"] for c in body["checks"] if not c["ok"]] == ["background"]
    with Image.open(out) as im:
        assert im.size == (178, 220) and round(im.info["dpi"][0]) == 96
    assert 10 * 1024 <= out.stat().st_size <= 20 * 1024

    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    assert main(["prepare", str(text), str(tmp_path / "none.jpg")]) == 1
    assert not (tmp_path / "none.jpg").exists()
