"""The support CLI in-process (the run in a real subprocess is an integration test)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from chalicelib.photo.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
FACES = ROOT / "tests" / "fixtures" / "faces"


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
