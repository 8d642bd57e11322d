"""Support-staff and test CLI over the same code path as the upload pipeline.

Why this exists: support staff must be able to answer "why was my photo rejected?" from the
files alone, and tests (including the held-out acceptance photos) drive the real pipeline
without any AWS resource. The engine comes from ``FaceSettings.from_env()`` (``FACE_ENGINE``,
default dlib); no table, bucket or queue setting is read.

    python -m chalicelib.photo check PHOTO [--reference REF] [--spec-only]
        Prints the full result JSON ({"status", "checks": [{"rule","ok","message"}], "score",
        "engine", "message"}). Exit 0 when the status is "accepted", 1 when "rejected" or
        "review", 2 on usage or file errors, 3 when the face engine is unavailable.

    python -m chalicelib.photo prepare IN OUT
        Writes the fitted 178×220 candidate to OUT and prints its spec report JSON. Exit 0 when
        the candidate passes every spec rule, 1 when it was written but still fails a rule (the
        background is never repainted) or when no candidate could be made (nothing written),
        2 on usage or file errors, 3 when the face engine is unavailable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from chalicelib.config import FaceSettings, SettingsError

from .checks import PhotoResult, check_photo, spec_only
from .faces import FaceServiceUnavailable, get_engine
from .prepare import prepare_portrait

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ENGINE = 0, 1, 2, 3


def _emit(result: PhotoResult) -> None:
    # Bytes, not text: the JSON is Chinese and must survive a C/POSIX locale terminal or pipe.
    sys.stdout.buffer.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    sys.stdout.flush()


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SystemExit(f"cannot read {path}: {exc.strerror or exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.photo", description="ID photo checks and auto-fix")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a photo against the spec and a reference photo")
    check.add_argument("photo")
    check.add_argument("--reference", help="the photo on record (exam photo or last accepted photo)")
    check.add_argument(
        "--spec-only", action="store_true", help="staff-upload mode: spec decides, comparison is informational"
    )
    prepare = sub.add_parser("prepare", help="fit any portrait to the spec (crop, resize, size band, dpi)")
    prepare.add_argument("input")
    prepare.add_argument("output")
    refs = sub.add_parser("load-references",
                          help="operators: bulk-load exam photos from a folder or zip named by member or ID number")
    refs.add_argument("source", help="folder or .zip of JPEG/PNG/HEIC files")
    return parser


def _load_references(source: str) -> int:
    """Runs against the AWS the environment points at (needs the stage's settings)."""
    from chalicelib.bootstrap import deps
    from chalicelib.photo.references import load_references

    report = load_references(deps(), Path(source))
    for name, reason in report.problems:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(json.dumps({"loaded": len(report.loaded), "skipped": len(report.problems)}))
    return EXIT_OK if not report.problems else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "load-references":
        return _load_references(args.source)
    try:
        face = FaceSettings.from_env()
        engine = get_engine(face)
    except (SettingsError, ValueError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "check":
            data = _read(args.photo)
            reference = _read(args.reference) if args.reference else None
            if args.spec_only:
                result = spec_only(data, engine, reference, face)
            else:
                result = check_photo(data, reference, engine, face)
            _emit(result)
            return EXIT_OK if result.status == "accepted" else EXIT_FAILED
        candidate, result = prepare_portrait(_read(args.input), engine)
        if candidate:
            try:
                Path(args.output).write_bytes(candidate)
            except OSError as exc:
                print(f"cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_USAGE
        _emit(result)
        return EXIT_OK if candidate and result.status == "accepted" else EXIT_FAILED
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except FaceServiceUnavailable as exc:
        print(f"face engine unavailable: {exc.message}", file=sys.stderr)
        return EXIT_ENGINE


if __name__ == "__main__":
    sys.exit(main())
