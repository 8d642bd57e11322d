"""`chalice package` for a stage, from locked dependencies, failing where Chalice only warns.

Why this exists: when Chalice cannot install a dependency for Lambda it prints "Could not
install dependencies" and still exits 0, so a package without (say) Pillow would be deployed
and fail at the first request. And Chalice resolves requirements.txt afresh on every build, so
the transitive dependencies could change between two builds. This wrapper:

1. downloads exactly the wheels of requirements.lock (pip checks every sha256) into
   out/.wheels/ (kept between builds);
2. runs `chalice package --stage S --merge-template T OUT` with pip limited to those files
   (PIP_NO_INDEX, PIP_FIND_LINKS), T being infra/stack-cn.json for a China stage and
   infra/stack.json otherwise;
3. fails if Chalice warned that it could not install a dependency, or if the built layer holds
   any distribution, or version, other than the lock's;
4. for a stage whose template declares the face layer, builds it into OUT/face-layer.zip
   (scripts/build_face_layer.py), where the template's ContentUri expects it.

Usage: python scripts/package.py --stage prod-cn [out]
Then: aws cloudformation package --template-file out/sam.json --s3-bucket ... (docs/deploy.md)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
WHEELS = ROOT / "out" / ".wheels"
CHINA_STAGES = frozenset({"prod-cn"})
CHALICE_WARNING = "Could not install dependencies"
_DIST_INFO = re.compile(r"site-packages/([^/]+)-([^-/]+)\.dist-info/METADATA$")


class PackageError(RuntimeError):
    pass


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"_pkg_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def merge_template(stage: str) -> Path:
    return ROOT / "infra" / ("stack-cn.json" if stage in CHINA_STAGES else "stack.json")


def locked() -> dict[str, str]:
    lock = _load("lock_requirements")
    return {name: version for name, (version, _) in lock.parse_lock(LOCK.read_text(encoding="utf-8")).items()}  # type: ignore[attr-defined]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_wheels(wheels: Path = WHEELS) -> None:
    """Download the locked wheels (pip checks the hashes) and keep nothing else in `wheels`:
    Chalice's pip resolves requirements.txt against this folder alone."""
    lock = _load("lock_requirements")
    wanted = {sha for _, sha in lock.parse_lock(LOCK.read_text(encoding="utf-8")).values()}  # type: ignore[attr-defined]
    have = {_sha256(p) for p in wheels.glob("*.whl")} if wheels.exists() else set()
    if not wanted <= have:
        cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "download",
               *lock.PLATFORM, "--no-deps", "--require-hashes", "-r", str(LOCK), "--dest", str(wheels)]  # type: ignore[attr-defined]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise PackageError(f"the locked wheels could not be fetched:\n{run.stdout}{run.stderr}")
    for path in wheels.iterdir():
        if not path.name.endswith(".whl") or _sha256(path) not in wanted:
            path.unlink()


def chalice_warnings(output: str) -> list[str]:
    """The packages Chalice says it could not install (it exits 0 all the same)."""
    if CHALICE_WARNING not in output:
        return []
    tail = output.split(CHALICE_WARNING, 1)[1].lstrip(":").split("You will have to", 1)[0]
    names = [line.strip() for line in tail.splitlines() if line.strip()]
    return names or ["(unnamed)"]


def layer_distributions(layer_zip: Path) -> dict[str, str]:
    lock = _load("lock_requirements")
    found = {}
    with zipfile.ZipFile(layer_zip) as zf:
        for name in zf.namelist():
            m = _DIST_INFO.search(name)
            if m:
                found[lock.canonical(m.group(1))] = m.group(2)  # type: ignore[attr-defined]
    return found


def layer_differences(found: Mapping[str, str], lock: Mapping[str, str]) -> list[str]:
    problems = [f"{n}=={v} is in the layer but not in requirements.lock" for n, v in sorted(found.items())
                if lock.get(n) != v]
    problems += [f"{n}=={v} is locked but missing from the layer" for n, v in sorted(lock.items()) if n not in found]
    return problems


def run_chalice(stage: str, out: Path, wheels: Path, project: Path = ROOT, merge: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CAPTCHA_TEST_CODE"}
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels.resolve())})
    env.setdefault("AWS_DEFAULT_REGION", "cn-north-1" if stage in CHINA_STAGES else "us-east-1")
    chalice = Path(sys.executable).parent / "chalice"
    cmd = [str(chalice), "package", "--stage", stage, str(out)]
    if merge:
        cmd[4:4] = ["--merge-template", str(merge_template(stage).relative_to(ROOT))]
    run = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    output = run.stdout + run.stderr
    if run.returncode != 0:
        raise PackageError(f"chalice package failed:\n{output}")
    return output


def needs_face_layer(out: Path) -> bool:
    template = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    return any(r.get("Type") == "AWS::Serverless::LayerVersion" and
               r.get("Properties", {}).get("ContentUri") == "./face-layer.zip"
               for r in template["Resources"].values())


def package(stage: str, out: Path, wheels: Path = WHEELS) -> str:
    if out.exists():
        shutil.rmtree(out)
    fetch_wheels(wheels)
    output = run_chalice(stage, out, wheels)
    missing = chalice_warnings(output)
    if missing:
        raise PackageError(f"Chalice could not install {', '.join(missing)} for Lambda:\n{output}")
    problems = layer_differences(layer_distributions(out / "layer-deployment.zip"), locked())
    if problems:
        raise PackageError("the layer does not match requirements.lock: " + "; ".join(problems))
    if needs_face_layer(out):
        _load("build_face_layer").build(out / "face-layer.zip")  # type: ignore[attr-defined]
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "out")
    args = parser.parse_args(argv)
    try:
        package(args.stage, args.out.resolve())
    except PackageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in sorted(args.out.iterdir()):
        if path.is_file():
            print(f"{path}: {path.stat().st_size:,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
