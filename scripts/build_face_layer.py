"""Build the face layer (out/face-layer.zip): dlib, numpy and the two dlib models, for Lambda.

Why this exists: in the AWS China regions there is no Rekognition, so the photo check (and the
photo auto-fix) compare faces with dlib inside Lambda. The layer must load on the python3.11
runtime (Amazon Linux 2, glibc 2.26), hold only what the engine loads, and come out the same
every time:

- the wheels come from infra/face-layer.lock (versions and sha256 hashes), installed for the
  Lambda platform, never for this machine: `pip install --platform manylinux2014_x86_64
  --only-binary=:all: --python-version 3.11 --implementation cp --require-hashes`;
- the models come from the face-recognition-models 0.3.0 source archive (checked against its
  sha256), of which only the 5-point landmark predictor and the ResNet embedding model are kept
  (chalicelib/photo/dlib_engine.py loads those two; the HOG detector ships with the code, and
  the 68-point and MMOD models, 100 MB, are never used);
- the Python files are compiled ahead (Lambda's /opt is read-only, so without .pyc files every
  cold start would compile numpy again: ~1 s instead of ~0.4 s here), as unchecked-hash .pyc
  files with /opt/python paths, which depend on neither the build time nor the build folder;
- the zip has sorted entries, fixed timestamps and modes, so the same inputs give the same bytes
  (the printed sha256 can be compared between builds).

Lambda unpacks a layer under /opt; Python finds /opt/python on sys.path, so everything sits
under python/ in the zip.

Usage: python scripts/build_face_layer.py [--out out/face-layer.zip] [--keep-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "infra" / "face-layer.lock"
DEFAULT_OUT = ROOT / "out" / "face-layer.zip"
# downloads are kept here and checked against their hashes on every build (a rebuild, e.g. by
# the deploy tests, then needs no network)
CACHE = ROOT / "out" / "face-layer-cache"

PLATFORM = ("--platform", "manylinux2014_x86_64", "--only-binary=:all:", "--python-version", "3.11",
            "--implementation", "cp", "--abi", "cp311")
MODELS_SDIST = "face-recognition-models==0.3.0"
MODELS_SDIST_SHA256 = "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"
# file -> sha256: exactly the models the engine was measured with
MODELS = {
    "shape_predictor_5_face_landmarks.dat": "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    "dlib_face_recognition_resnet_model_v1.dat": "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
}
MODELS_INIT = '''"""The two dlib models of face-recognition-models 0.3.0 (CC0) that the face engine loads.

Only the files are used (found with importlib.util.find_spec); this package has no code.
"""
'''
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BuildError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise BuildError(f"pip failed: {' '.join(cmd)}\n{run.stdout}{run.stderr}")


def _locked_hashes() -> set[str]:
    return {part.split(":", 1)[1] for part in LOCK.read_text(encoding="utf-8").split()
            if part.startswith("--hash=sha256:")}


def install_wheels(site: Path, cache: Path) -> None:
    wheels = cache / "wheels"
    have = {_sha256(p) for p in wheels.glob("*.whl")} if wheels.exists() else set()
    if not _locked_hashes() <= have:
        _pip("download", *PLATFORM, "--require-hashes", "--no-deps", "--dest", str(wheels), "-r", str(LOCK))
    _pip("install", *PLATFORM, "--require-hashes", "--no-deps", "--no-compile", "--no-index",
         "--find-links", str(wheels), "--target", str(site), "-r", str(LOCK))
    # numpy's own test suites (17 MB) and type stubs are never imported at run time
    for junk in list(site.glob("**/__pycache__")) + list(site.glob("bin")) + list(site.glob("numpy/**/tests")):
        shutil.rmtree(junk, ignore_errors=True)
    for stub in site.glob("numpy/**/*.pyi"):
        stub.unlink()


def install_models(site: Path, cache: Path) -> None:
    scratch = cache / "sdist"
    archives = list(scratch.glob("face_recognition_models-*.tar.gz"))
    if len(archives) != 1 or _sha256(archives[0]) != MODELS_SDIST_SHA256:
        shutil.rmtree(scratch, ignore_errors=True)
        _pip("download", "--no-deps", "--no-binary=:all:", "--dest", str(scratch), MODELS_SDIST)
        archives = list(scratch.glob("face_recognition_models-*.tar.gz"))
    if len(archives) != 1 or _sha256(archives[0]) != MODELS_SDIST_SHA256:
        raise BuildError(f"{MODELS_SDIST}: the downloaded archive does not match the pinned sha256")
    target = site / "face_recognition_models"
    (target / "models").mkdir(parents=True)
    with tarfile.open(archives[0]) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if member.isfile() and (name in MODELS and member.name.endswith(f"models/{name}")
                                    or member.name.endswith("-0.3.0/LICENSE")):
                data = tar.extractfile(member)
                assert data is not None
                dest = target / "models" / name if name in MODELS else target / "LICENSE"
                dest.write_bytes(data.read())
    for name, sha in MODELS.items():
        path = target / "models" / name
        if not path.exists() or _sha256(path) != sha:
            raise BuildError(f"model {name} missing or not the pinned file")
    (target / "__init__.py").write_text(MODELS_INIT, encoding="utf-8")


def compile_python(site: Path) -> None:
    if sys.version_info[:2] != (3, 11):
        raise BuildError("build the layer with Python 3.11: its .pyc files are for Lambda's python3.11")
    # a fixed hash seed: frozenset constants are marshalled in hash order, which would otherwise
    # differ from one build to the next
    cmd = [sys.executable, "-m", "compileall", "-q", "-d", "/opt/python", "--invalidation-mode",
           "unchecked-hash", str(site)]
    run = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if run.returncode != 0:
        raise BuildError(f"compiling the layer's Python files failed:\n{run.stdout}{run.stderr}")


def write_zip(layer_root: Path, out: Path) -> None:
    """Deterministic zip: sorted names, fixed time, 0644 files / 0755 shared objects."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.tmp")
    files = sorted(p for p in layer_root.rglob("*") if p.is_file())
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(layer_root).as_posix(), ZIP_TIME)
            mode = 0o755 if ".so" in path.name else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as fh:
                zf.writestr(info, fh.read(), compresslevel=9)
    os.replace(tmp, out)


def build(out: Path, keep_dir: Path | None = None, cache: Path = CACHE) -> Path:
    with tempfile.TemporaryDirectory(prefix="face-layer-") as tmp:
        layer_root = Path(tmp) / "layer"
        site = layer_root / "python"
        site.mkdir(parents=True)
        install_wheels(site, cache)
        install_models(site, cache)
        compile_python(site)
        write_zip(layer_root, out)
        if keep_dir is not None:
            shutil.rmtree(keep_dir, ignore_errors=True)
            shutil.copytree(layer_root, keep_dir)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--keep-dir", type=Path, help="also leave the unpacked layer here (for inspection)")
    args = parser.parse_args(argv)
    try:
        out = build(args.out, args.keep_dir)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(out) as zf:
        unzipped = sum(i.file_size for i in zf.infolist())
    print(f"{out}: {out.stat().st_size:,} B zipped, {unzipped:,} B unzipped, sha256 {_sha256(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
