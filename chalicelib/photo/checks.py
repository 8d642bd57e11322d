"""The photo-check pipeline: every spec rule, then the face comparison, as one reported result.

Why this exists: the SQS handler (member uploads), the staff upload route, the auto-fix and the
support CLI must all judge a photo the same way. This module is that one code path. It is pure:
no AWS, no HTTP; the face engine is passed in.

Rules, in report order (each a machine code with a Chinese message):
``format``, ``size_bytes``, ``dimensions``, ``dpi``, ``background``, ``exactly_one_face``,
``face_size_and_position``, ``sharpness``, then ``face_match``. Every rule is always reported, so
a member can fix everything at once; a rule that cannot run (nothing decodable, no face) is
reported as not passed with a message saying why it was not checked.

The photo is decoded once and its faces are scanned once; that single scan feeds the face count,
the framing, the sharpness region and the comparison (the engine keeps the embedding inside the
scan for the duration of this one check only).

Malformed input never raises: the strict inspection is wrapped at the boundary and anything it
did not foresee becomes a clean ``format`` rejection. The only exception that leaves
:func:`check_photo` is :class:`~chalicelib.photo.faces.FaceServiceUnavailable` (a transient engine
failure), so the queue retries instead of wrongly rejecting the member.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from chalicelib.config import FaceSettings
from chalicelib.errors import AppError

from . import jpeg
from .faces import FaceBox, FaceEngine, FaceScan, FaceServiceUnavailable, MatchOutcome, band_for
from .imaging import DecodeError, Photo, decode_jpeg, decode_portrait, parse_jpeg
from .spec import SPEC, PhotoSpec, laplacian_variance, white_border_fraction

log = logging.getLogger(__name__)

Status = Literal["accepted", "rejected", "review"]

SPEC_RULES = (
    "format",
    "size_bytes",
    "dimensions",
    "dpi",
    "background",
    "exactly_one_face",
    "face_size_and_position",
    "sharpness",
)
FACE_MATCH = "face_match"

MSG_ACCEPTED = "比对成功"
MSG_REJECTED = "比对失败"
_NOT_DECODED = "照片无法解码,未检查此项"
_NO_FACE = "未检测到人脸,未检查此项"


@dataclass(frozen=True)
class Check:
    """One rule's verdict. ``ran`` is False when the rule could not be evaluated (its ``ok`` is
    then False and its message says why). The API body carries it as ``state``: "passed",
    "failed" or "not_checked", so a client can show the one real problem first and the rules
    that could not run as not checked, instead of a column of red rows."""

    rule: str
    ok: bool
    message: str
    ran: bool = field(default=True, compare=False)

    @property
    def state(self) -> str:
        if self.ok:
            return "passed"
        return "failed" if self.ran else "not_checked"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "ok": self.ok, "state": self.state, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Check":
        """The inverse of :meth:`to_dict` (a report that crossed a process boundary as JSON)."""
        return cls(str(data["rule"]), bool(data["ok"]), str(data["message"]),
                   ran=data.get("state") != "not_checked")


@dataclass(frozen=True)
class PhotoResult:
    """The outcome of a check: what the upload record, the API and the CLI show.

    ``score`` is the face engine's native score when a comparison ran (dlib: distance, lower is
    more alike; Rekognition: similarity %, higher is more alike; ``engine`` says which), else
    None. It is for staff and the review queue; member-facing views leave it out.
    """

    status: Status
    checks: Sequence[Check]
    score: float | None
    engine: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", tuple(self.checks))

    @property
    def ok(self) -> bool:
        return self.status == "accepted"

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checks": [c.to_dict() for c in self.checks],
            "score": self.score,
            "engine": self.engine,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PhotoResult":
        """The inverse of :meth:`to_dict`."""
        score = data.get("score")
        return cls(data["status"], [Check.from_dict(c) for c in data.get("checks", [])],
                   None if score is None else float(score), str(data.get("engine", "")), str(data.get("message", "")))


@dataclass
class Inspection:
    """The spec rules' verdicts plus what the face comparison reuses (decoded photo, scan)."""

    checks: list[Check]
    photo: Photo | None = None
    scan: FaceScan | None = None

    @property
    def spec_ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def problems(self) -> list[str]:
        """Messages of rules that ran and failed: the actionable summary (not the 'not checked')."""
        return [c.message for c in self.checks if c.ran and not c.ok]


# --- the individual rules -------------------------------------------------------------------


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def _size_rule(data: bytes, spec: PhotoSpec) -> Check:
    """10–20 KB read as 10*1024 ≤ bytes ≤ 20*1024, both ends inclusive, on the file as uploaded
    (metadata included: that is the size the member sees and the presigned POST enforces)."""
    n = len(data)
    if spec.min_bytes <= n <= spec.max_bytes:
        return Check("size_bytes", True, f"文件大小 {_kb(n)},符合 {spec.size_text} 的要求")
    return Check("size_bytes", False, f"文件大小为 {_kb(n)},应为 {spec.size_text}")


def _dimensions_rule(size: tuple[int, int] | None, spec: PhotoSpec) -> Check:
    if size is None:
        return Check("dimensions", False, _NOT_DECODED, ran=False)
    w, h = size
    if (w, h) == (spec.width, spec.height):
        return Check("dimensions", True, f"尺寸 {w}×{h} 像素,符合要求")
    return Check("dimensions", False, f"尺寸为 {w}×{h} 像素,应为 {spec.width}×{spec.height} 像素(宽×高)")


def _dpi_rule(header: jpeg.JpegHeader | None, spec: PhotoSpec) -> Check:
    if header is None:
        return Check("dpi", False, _NOT_DECODED, ran=False)
    dpi = jpeg.dpi_of(header)
    if dpi is None:
        return Check("dpi", False, f"文件中未记录分辨率(dpi),应不低于 {spec.min_dpi:g} dpi")
    low = min(dpi)
    # 0.5 dpi of slack: 37.8 dots/cm is 96.01 dpi, and some tools round the other way.
    if low + 0.5 >= spec.min_dpi:
        return Check("dpi", True, f"分辨率 {round(low)} dpi,符合要求")
    return Check("dpi", False, f"分辨率为 {round(low)} dpi,应不低于 {spec.min_dpi:g} dpi")


def _background_rule(photo: Photo | None, spec: PhotoSpec) -> Check:
    if photo is None:
        return Check("background", False, _NOT_DECODED, ran=False)
    fraction = white_border_fraction(photo.image, spec)
    if fraction >= spec.white_min_fraction:
        return Check("background", True, "背景为白色,符合要求")
    return Check(
        "background",
        False,
        f"背景不是白色(照片边缘白色区域仅占 {fraction:.0%}),请在白色背景前拍摄",
    )


def _face_count_rule(scan: FaceScan | None) -> Check:
    if scan is None:
        return Check("exactly_one_face", False, _NOT_DECODED, ran=False)
    n = len(scan.faces)
    if n == 1:
        return Check("exactly_one_face", True, "检测到一张人脸")
    if n == 0:
        return Check("exactly_one_face", False, "未检测到人脸,请上传本人正面免冠照片")
    return Check("exactly_one_face", False, f"检测到 {n} 张人脸,照片中只能有本人")


def framing_problems(box: FaceBox, size: tuple[int, int], spec: PhotoSpec = SPEC) -> list[str]:
    """Why a face box is not a head-and-shoulders, centred framing (empty when it is)."""
    w, h = size
    cx, cy = box.center
    problems = []
    ratio = box.width / w
    if ratio < spec.face_min_width:
        problems.append("人脸在照片中过小(疑似生活照或全身照),请使用头肩部正面照")
    elif ratio > spec.face_max_width:
        problems.append("人脸在照片中过大,请在头顶和两肩留出空间")
    if abs(cx - w / 2.0) / w > spec.face_max_offset_x:
        problems.append("人脸未水平居中")
    if cy / h < spec.face_min_center_y:
        problems.append("人脸位置偏上,请在头顶上方留出适当空间")
    elif cy / h > spec.face_max_center_y:
        problems.append("人脸位置偏下,请使头部位于照片中上部")
    if box.roll_deg is not None and abs(box.roll_deg) > spec.face_max_roll_deg:
        problems.append("头部明显倾斜,请端正头部")
    return problems


def _framing_rule(scan: FaceScan | None, spec: PhotoSpec) -> Check:
    if scan is None:
        return Check("face_size_and_position", False, _NOT_DECODED, ran=False)
    box = scan.largest()
    if box is None:
        return Check("face_size_and_position", False, _NO_FACE, ran=False)
    problems = framing_problems(box, scan.size, spec)
    if not problems:
        return Check("face_size_and_position", True, "头肩部正面构图,人脸居中,符合要求")
    return Check("face_size_and_position", False, ";".join(problems))


def face_sharpness(photo: Photo, box: FaceBox) -> float:
    """Laplacian variance on the face box, clamped to the image."""
    w, h = photo.image.size
    region = (
        max(0, int(box.left)),
        max(0, int(box.top)),
        min(w, int(round(box.right))),
        min(h, int(round(box.bottom))),
    )
    if region[2] - region[0] < 3 or region[3] - region[1] < 3:
        return 0.0
    return laplacian_variance(photo.image.crop(region).convert("L"))


def _sharpness_rule(photo: Photo | None, scan: FaceScan | None, spec: PhotoSpec) -> Check:
    if photo is None or scan is None:
        return Check("sharpness", False, _NOT_DECODED, ran=False)
    box = scan.largest()
    if box is None:
        return Check("sharpness", False, _NO_FACE, ran=False)
    if face_sharpness(photo, box) >= spec.min_sharpness:
        return Check("sharpness", True, "照片清晰")
    return Check("sharpness", False, "照片不够清晰(可能失焦、抖动或由小图放大),请上传清晰的照片")


def _scan(engine: FaceEngine, photo: Photo) -> FaceScan:
    try:
        return engine.scan(photo)
    except AppError:
        raise
    except Exception as exc:
        # The photo decoded cleanly, so an engine crash is the engine's problem, not the member's.
        log.exception("face engine %s failed while scanning", getattr(engine, "name", "?"))
        raise FaceServiceUnavailable() from exc


def inspect_upload(data: bytes, engine: FaceEngine, spec: PhotoSpec = SPEC) -> Inspection:
    """Run every spec rule on an upload. Strict: it is written not to raise on any bytes (the
    property test calls it directly), but :func:`check_photo` still wraps it as a safety net."""
    header: jpeg.JpegHeader | None = None
    photo: Photo | None = None
    orientation = 1
    format_check: Check
    if len(data) > spec.upload_max_bytes:
        format_check = Check("format", False, f"文件过大({_kb(len(data))}),未进行解码")
    else:
        try:
            header = parse_jpeg(data)  # kept even if decoding is refused: its size is reported
            orientation = jpeg.orientation_of(header)
            # Frame type, CMYK and the pixel cap are checked from the header before any pixel is
            # decoded: a bomb stops there in microseconds.
            decoded = decode_jpeg(data, max_pixels=spec.upload_max_pixels, header=header)
            photo = decoded.photo
            kind = jpeg.SUPPORTED_SOF.get(decoded.header.sof, "")
            label = {"baseline": "基线", "extended": "基线(扩展)", "progressive": "渐进式"}.get(kind, "")
            format_check = Check("format", True, f"JPEG 格式({label}),解码正常")
        except DecodeError as exc:
            format_check = Check("format", False, exc.message)

    if photo is not None:
        size: tuple[int, int] | None = photo.image.size
    elif header is not None and header.width and header.height:
        # Not decodable (too large, CMYK...), but the header's size is still worth reporting.
        size = (header.height, header.width) if orientation >= 5 else (header.width, header.height)
    else:
        size = None

    scan = _scan(engine, photo) if photo is not None else None
    checks = [
        format_check,
        _size_rule(data, spec),
        _dimensions_rule(size, spec),
        _dpi_rule(header, spec),
        _background_rule(photo, spec),
        _face_count_rule(scan),
        _framing_rule(scan, spec),
        _sharpness_rule(photo, scan, spec),
    ]
    return Inspection(checks, photo, scan)


# --- face comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    check: Check
    status: Status  # accepted / review / rejected, from the band
    score: float | None
    summary: str


def _compare(inspection: Inspection, reference: bytes, engine: FaceEngine, face: FaceSettings) -> _Match:
    assert inspection.photo is not None and inspection.scan is not None
    try:
        ref_photo = decode_portrait(
            reference, max_bytes=SPEC.prepare_max_bytes, max_pixels=SPEC.reference_max_pixels, long_side=800
        )
    except DecodeError as exc:
        log.warning("reference photo unreadable: %s", exc.reason)
        msg = "参考照片无法读取,未能比对,已转协会工作人员审核"
        return _Match(Check(FACE_MATCH, False, msg, ran=False), "review", None, msg)
    try:
        outcome: MatchOutcome = engine.compare(inspection.scan, inspection.photo, ref_photo)
    except AppError:
        raise
    except Exception as exc:
        log.exception("face engine %s failed while comparing", engine.name)
        raise FaceServiceUnavailable() from exc
    if outcome.reference_problem:
        msg = f"{outcome.reference_problem},未能比对,已转协会工作人员审核"
        return _Match(Check(FACE_MATCH, False, msg, ran=False), "review", None, msg)
    if outcome.probe_problem or outcome.score is None:
        msg = outcome.probe_problem or "照片中的人脸无法比对,请重新拍摄"
        return _Match(Check(FACE_MATCH, False, msg), "rejected", None, msg)
    band = band_for(engine.name, outcome.score, face)
    if band == "accept":
        return _Match(Check(FACE_MATCH, True, "与参考照片比对一致"), "accepted", outcome.score, "")
    if band == "review":
        msg = "与参考照片的相似程度不足以自动确认,已转协会工作人员审核"
        return _Match(Check(FACE_MATCH, False, msg), "review", outcome.score, msg)
    msg = "与参考照片比对不一致,请上传本人近期照片"
    return _Match(Check(FACE_MATCH, False, msg), "rejected", outcome.score, msg)


def _rejected_message(prefix: str, problems: list[str]) -> str:
    return f"{prefix}:" + ";".join(problems) if problems else prefix


def _unprocessable(engine: FaceEngine, with_match: bool) -> PhotoResult:
    """The safety net's answer: a clean format rejection, every other rule marked not checked."""
    msg = "照片无法处理,请另存为标准 JPEG 后重新上传"
    checks = [Check("format", False, msg)]
    checks += [Check(r, False, _NOT_DECODED, ran=False) for r in SPEC_RULES[1:]]
    if with_match:
        checks.append(Check(FACE_MATCH, False, "照片不符合规格,未进行人脸比对", ran=False))
    return PhotoResult("rejected", checks, None, getattr(engine, "name", ""), _rejected_message(MSG_REJECTED, [msg]))


def _safely(fn: Any, engine: FaceEngine, with_match: bool) -> PhotoResult:
    try:
        return fn()
    except AppError:
        raise  # FaceServiceUnavailable: let the queue retry
    except Exception:
        log.exception("photo check failed unexpectedly; reporting a format rejection")
        return _unprocessable(engine, with_match)


def check_photo(data: bytes, reference: bytes | None, engine: FaceEngine, face: FaceSettings) -> PhotoResult:
    """The member-upload verdict: spec rules, then face_match against ``reference``.

    - any spec rule fails → "rejected" (face_match reported as not run);
    - spec passes, no reference on file → "review" (staff compare by eye);
    - spec passes, reference unusable (unreadable, no face) → "review";
    - otherwise the band of the engine's score: accept → "accepted", review → "review",
      reject → "rejected".
    Never raises on malformed input; raises FaceServiceUnavailable on a transient engine failure.
    """

    def run() -> PhotoResult:
        inspection = inspect_upload(data, engine)
        checks = list(inspection.checks)
        if not inspection.spec_ok:
            checks.append(Check(FACE_MATCH, False, "照片不符合规格,未进行人脸比对", ran=False))
            return PhotoResult(
                "rejected", checks, None, engine.name, _rejected_message(MSG_REJECTED, inspection.problems())
            )
        if reference is None:
            checks.append(Check(FACE_MATCH, False, "系统中没有可比对的参考照片,未进行比对", ran=False))
            return PhotoResult(
                "review",
                checks,
                None,
                engine.name,
                "照片符合规格;系统中没有您的参考照片,将由所属注协工作人员审核",
            )
        match = _compare(inspection, reference, engine, face)
        checks.append(match.check)
        if match.status == "accepted":
            message = MSG_ACCEPTED
        elif match.status == "rejected":
            message = _rejected_message(MSG_REJECTED, [match.summary])
        else:
            message = f"照片符合规格;{match.summary}"
        return PhotoResult(match.status, checks, match.score, engine.name, message)

    return _safely(run, engine, with_match=True)


def _staff_match_note(match: _Match) -> str:
    """The comparison in words for the staff dialog (the member-facing texts ask the reader to
    upload their own photo, which makes no sense to the staff user holding someone's file)."""
    if match.check.ok:
        return "与全科合格照片比对一致"
    if not match.check.ran:
        return "全科合格照片无法用于比对,未进行人脸比对,请人工核对两张照片"
    if match.status == "review":
        return "与全科合格照片的相似程度不足,无法确认是同一人"
    return "与全科合格照片比对不一致,可能不是同一人"


def spec_only(
    data: bytes,
    engine: FaceEngine,
    reference: bytes | None = None,
    face: FaceSettings | None = None,
) -> PhotoResult:
    """The verdict for staff uploads and the auto-fix: the spec decides, comparison informs.

    Status is "accepted" when every spec rule passes, else "rejected" — never "review". When a
    ``reference`` is given (staff upload dialog) and the spec passes, face_match is run and
    reported with its score, in words for staff, but it does not change the status: confirming a
    failed comparison is refused by the service unless the staff user gives a written (audited)
    override reason. Without a reference there is no face_match entry at all.
    """

    def run() -> PhotoResult:
        inspection = inspect_upload(data, engine)
        checks = list(inspection.checks)
        if not inspection.spec_ok:
            return PhotoResult(
                "rejected", checks, None, engine.name, _rejected_message("照片不符合规格", inspection.problems())
            )
        score = None
        message = "照片符合规格"
        if reference is not None:
            match = _compare(inspection, reference, engine, face or FaceSettings())
            note = _staff_match_note(match)
            checks.append(Check(FACE_MATCH, match.check.ok, note, ran=match.check.ran))
            score = match.score
            message += f";{note}"
        return PhotoResult("accepted", checks, score, engine.name, message)

    return _safely(run, engine, with_match=reference is not None)
