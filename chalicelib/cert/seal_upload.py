r"""Uploading an association's electronic seal, checked before it is stored.

    python -m chalicelib.cert upload-seal --association 110000 SEAL.png [--stage prod-cn]

Every association's certificate carries its own seal; without one, only the local stack and dev
print the "样章" sample seal, and production refuses to issue (503 SEAL_MISSING). The seal is a
PNG with a transparent background (it is laid over the certificate), stored in the photo bucket
under the fixed key `seals/<association>.png`, where the certificate service reads it. A new seal
changes the certificate's content, so the next download is a new issue.

The checks reject what would print badly: not a PNG, too large a file, too small or too large an
image, a shape far from a seal's, no alpha channel, or an opaque (or empty) background.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from chalicelib.errors import ValidationFailed

if TYPE_CHECKING:
    from chalicelib.cert.repository import CertificateRepository

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 300, 3000          # 40 mm at 300 dpi is 472 px
MIN_TRANSPARENT = 0.20                  # the background around a round seal is ~21 % of its square
MIN_INK = 0.02


class SealInvalid(ValidationFailed):
    code = "SEAL_INVALID"


@dataclass(frozen=True)
class SealImage:
    width: int
    height: int
    transparent_fraction: float
    ink_fraction: float


def check_seal_png(data: bytes) -> SealImage:
    """Raise `SealInvalid` (with a Chinese reason) unless `data` is a usable seal PNG."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise SealInvalid(f"印章文件过大({len(data) // 1024} KB),最大 {MAX_BYTES // 1024 // 1024} MB")
    if not data.startswith(PNG_SIGNATURE):
        raise SealInvalid("印章须为 PNG 格式(透明背景)")
    try:
        with Image.open(BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SealInvalid("印章 PNG 文件已损坏,无法读取") from exc
    width, height = image.size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise SealInvalid(f"印章尺寸须在 {MIN_SIDE}–{MAX_SIDE} 像素之间,当前为 {width}×{height}")
    if not 0.6 <= width / height <= 1 / 0.6:
        raise SealInvalid(f"印章宽高比异常({width}×{height}),请上传裁切到印章本身的图片")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        raise SealInvalid("印章须带透明通道(背景透明的 PNG),当前图片背景不透明")
    alpha = image.convert("RGBA").getchannel("A")
    histogram = alpha.histogram()
    total = width * height
    transparent = sum(histogram[:16]) / total
    ink = sum(histogram[128:]) / total
    if transparent < MIN_TRANSPARENT:
        raise SealInvalid("印章背景须透明:当前透明区域过少,请去除白色或彩色背景后再上传")
    if ink < MIN_INK:
        raise SealInvalid("印章图片几乎全透明,未找到印章图案")
    return SealImage(width, height, round(transparent, 3), round(ink, 3))


def seal_key(association: str) -> str:
    """Where the seal is kept in the bucket (for the operator's message)."""
    from chalicelib.cert import repository

    return repository.seal_key(association)


def upload_seal(store: CertificateRepository, association: str, data: bytes) -> SealImage:
    """Check and store the seal of `association` in the certificate room's repository."""
    from chalicelib.members.schema import ASSOCIATION_NAMES

    if association not in ASSOCIATION_NAMES:
        raise SealInvalid(f"未知的协会代码 {association}")
    info = check_seal_png(data)
    store.put_seal(association, data)
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cert",
                                     description="certificate operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upload-seal", help="check and upload an association's seal (PNG, transparent)")
    up.add_argument("--association", required=True, help="association code, e.g. 110000")
    up.add_argument("--stage", help="load this stage's variables from .chalice/config.json first")
    up.add_argument("file", type=Path, help="the seal as a PNG with a transparent background")
    args = parser.parse_args(argv)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"无法读取文件 {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    from chalicelib.auth.cli import CliError, load_stage_env

    try:
        if args.stage:
            load_stage_env(args.stage)
        from chalicelib.bootstrap import deps

        info = upload_seal(deps().certificates, args.association, data)
    except SealInvalid as err:
        print(f"印章未上传:{err.message}", file=sys.stderr)
        return 1
    except CliError as err:
        print(str(err), file=sys.stderr)
        return 2
    print(f"已上传 {args.association} 的印章({info.width}×{info.height},"
          f"透明背景 {info.transparent_fraction:.0%})到 {seal_key(args.association)}")
    return 0
