"""What goes into Lambda is pinned with hashes, and the package step fails where Chalice only
warns. The Chalice run below is real (a throw-away project, pip limited to a local folder, no
network): it shows that `chalice package` exits 0 after "Could not install dependencies", and
that scripts/package.py turns that into a failure."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, _load

package = _load(ROOT / "scripts" / "package.py")
lock = _load(ROOT / "scripts" / "lock_requirements.py")


def test_the_lock_pins_every_direct_requirement_with_a_hash():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = lock.parse_lock(text)
    assert len(entries) == text.count("--hash=sha256:")  # every entry parsed, every entry hashed
    assert lock.main(["--check"]) == 0
    for name, version in lock.direct_pins().items():
        assert entries[name][0] == version, name
    assert "botocore" in entries and "cryptography" in entries  # transitive ones too


def test_the_face_layer_lock_matches_the_dev_pin():
    """The tests run the dlib that production runs."""
    face = (ROOT / "infra" / "face-layer.lock").read_text(encoding="utf-8")
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^dlib-bin==(\S+)", dev, re.M)
    assert pinned and f"dlib-bin=={pinned.group(1)} \\" in face
    assert face.count("--hash=sha256:") == 2


def test_layer_differences_name_extra_and_missing_distributions():
    assert package.layer_differences({"pillow": "12.2.0"}, {"pillow": "12.2.0"}) == []
    problems = package.layer_differences({"pillow": "12.3.0", "evil": "1.0"}, {"pillow": "12.2.0", "fpdf2": "2.8.9"})
    assert problems == ["evil==1.0 is in the layer but not in requirements.lock",
                        "pillow==12.3.0 is in the layer but not in requirements.lock",
                        "fpdf2==2.8.9 is locked but missing from the layer"]


def _sdist_that_cannot_build(folder: Path, name: str, version: str) -> Path:
    """A source package whose metadata is fine but whose wheel build fails, as a C extension
    without a compiler (or without a manylinux wheel) does."""
    base = f"{name}-{version}"
    setup = ("import sys\nfrom setuptools import setup\n"
             "if 'bdist_wheel' in sys.argv:\n    sys.exit('error: no compiler for the native part')\n"
             f"setup(name={name!r}, version={version!r}, py_modules=[])\n")
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, text in ((f"{base}/setup.py", setup), (f"{base}/PKG-INFO", pkg_info)):
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_chalice_only_warns_about_a_missing_dependency_and_the_wrapper_fails(tmp_path, monkeypatch):
    project = tmp_path / "proj"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text("from chalice import Chalice\napp = Chalice(app_name='probe')\n\n"
                                    "@app.route('/')\ndef index():\n    return {}\n")
    (project / ".chalice" / "config.json").write_text('{"version": "2.0", "app_name": "probe", '
                                                       '"stages": {"dev": {}}}')
    (project / "requirements.txt").write_text("nativeonly==1.0\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _sdist_that_cannot_build(wheels, "nativeonly", "1.0")
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # offline: build with the venv's setuptools
    output = package.run_chalice("dev", tmp_path / "out", wheels, project=project, merge=False)
    assert package.CHALICE_WARNING in output  # and yet chalice package exited 0 (run_chalice checks)
    assert (tmp_path / "out" / "deployment.zip").exists()
    assert package.chalice_warnings(output) == ["nativeonly==1.0"]


def test_package_fails_when_chalice_warns(monkeypatch, tmp_path):
    monkeypatch.setattr(package, "fetch_wheels", lambda wheels=None: None)
    monkeypatch.setattr(package, "run_chalice", lambda *a, **k: "Creating deployment package.\n"
                        "\nCould not install dependencies:\npillow==12.3.0\nYou will have to build these yourself")
    with pytest.raises(package.PackageError, match="could not install pillow==12.3.0"):
        package.package("prod", tmp_path / "out")
    assert package.main(["--stage", "prod", str(tmp_path / "out2")]) == 1


def test_the_merge_template_follows_the_stage():
    assert package.merge_template("prod-cn").name == "stack-cn.json"
    assert package.merge_template("prod").name == "stack.json"


def test_the_face_layer_zip_depends_on_content_only(tmp_path):
    """Same files, other timestamps and creation order: the same bytes (reproducible layer)."""
    import os

    build = _load(ROOT / "scripts" / "build_face_layer.py")
    zips = []
    for run, names in enumerate((["b.py", "a.so"], ["a.so", "b.py"])):
        tree = tmp_path / f"tree{run}" / "python"
        tree.mkdir(parents=True)
        for name in names:
            (tree / name).write_bytes(name.encode() * 100)
            os.utime(tree / name, (1_700_000_000 + run * 1000, 1_700_000_000 + run * 1000))
        out = tmp_path / f"layer{run}.zip"
        build.write_zip(tree.parent, out)
        zips.append(out.read_bytes())
    assert zips[0] == zips[1]
    with zipfile.ZipFile(tmp_path / "layer0.zip") as zf:
        assert zf.namelist() == ["python/a.so", "python/b.py"]
        assert (zf.getinfo("python/a.so").external_attr >> 16) & 0o777 == 0o755
