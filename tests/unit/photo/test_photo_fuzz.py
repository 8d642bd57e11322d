"""Property: no byte string makes the checker raise, and whatever it accepts can be stored.

Thousands of mutated JPEGs (bit flips, marker-byte writes, length-field rewrites, truncations,
deletions, duplications, splices between a baseline and a progressive file) go through the strict
inspection, the full check and, when accepted, the stored-copy path. A fake face engine keeps
this about the decoder and the rules, not about dlib's speed.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.config import FaceSettings
from chalicelib.photo import SPEC_RULES, check_photo, clean_copy, inspect_upload, prepare_portrait, spec_only
from chalicelib.photo.faces import FaceBox, FaceScan, MatchOutcome

FACES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"
BASELINE = (FACES / "spec_white" / "obama_01.jpg").read_bytes()
_buf = io.BytesIO()
Image.open(FACES / "spec_white" / "hopper_01.jpg").save(_buf, "JPEG", quality=90, progressive=True, dpi=(96, 96))
PROGRESSIVE = _buf.getvalue()
BASES = (BASELINE, PROGRESSIVE)
SETTINGS = FaceSettings()
MARKER_BYTES = [0x00, 0xFF, 0xD8, 0xD9, 0xDA, 0xDB, 0xC0, 0xC2, 0xC4, 0xE0, 0xE1, 0xFE]


class FastEngine:
    name = "dlib"

    def scan(self, photo):  # type: ignore[no-untyped-def]
        w, h = photo.image.size
        return FaceScan((FaceBox(0.25 * w, 0.3 * h, 0.75 * w, 0.7 * h, 1.0, 0.0),), (w, h))

    def compare(self, probe, probe_photo, reference):  # type: ignore[no-untyped-def]
        return MatchOutcome(0.3)


ENGINE = FastEngine()


def _index(draw, n: int) -> int:  # type: ignore[no-untyped-def]
    # Half the edits hit the first 700 bytes, where the tables and the frame header live.
    return draw(st.one_of(st.integers(0, min(700, n - 1)), st.integers(0, n - 1)))


@st.composite
def mutated_jpegs(draw) -> bytes:  # type: ignore[no-untyped-def]
    data = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "marker", "length", "truncate", "delete", "duplicate", "splice"]))
        i = _index(draw, len(data))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "marker":
            data[i] = draw(st.sampled_from(MARKER_BYTES))
        elif op == "length":
            data[i : i + 2] = draw(st.integers(0, 0xFFFF)).to_bytes(2, "big")
        elif op == "truncate":
            del data[i:]
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 64))]
        elif op == "duplicate":
            data[i:i] = data[i : i + draw(st.integers(1, 256))]
        else:
            other = draw(st.sampled_from(BASES))
            j = draw(st.integers(0, len(other) - 1))
            data[i:i] = other[j : j + draw(st.integers(1, 2048))]
    return bytes(data)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_jpegs())
def test_mutated_jpegs_never_raise(data: bytes) -> None:
    inspection = inspect_upload(data, ENGINE)  # the strict path: no safety net around it
    assert [c.rule for c in inspection.checks] == list(SPEC_RULES)
    result = check_photo(data, BASELINE, ENGINE, SETTINGS)
    assert result.status in ("accepted", "rejected", "review")
    assert result.check("format").ok == inspection.checks[0].ok
    if inspection.spec_ok:
        stored = clean_copy(data)
        assert spec_only(stored, ENGINE).status == "accepted"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_jpegs())
def test_mutated_inputs_never_break_the_auto_fix(data: bytes) -> None:
    candidate, report = prepare_portrait(data, ENGINE)
    assert report.status in ("accepted", "rejected")
    assert candidate == b"" or candidate[:2] == b"\xff\xd8"
