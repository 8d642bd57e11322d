"""Face comparison with the real dlib engine on the fixtures, the three bands, and the pipeline's
promise to analyse each photo once."""

from __future__ import annotations

import io
import itertools
import threading

import pytest
from PIL import Image

from chalicelib.config import FaceSettings
from chalicelib.photo import band_for, check_photo, get_engine, spec_only
from chalicelib.photo import dlib_engine as dlib_module
from chalicelib.photo.checks import FACE_MATCH

PEOPLE = {"obama_01": "obama", "obama_02": "obama", "obama_03": "obama",
          "biden_01": "biden", "hopper_01": "hopper", "collins_01": "collins"}
PAIRS = list(itertools.combinations(sorted(PEOPLE), 2))


@pytest.mark.parametrize("upload, reference", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_dlib_same_person_accepts_and_different_people_reject(
    upload, reference, load, dlib_engine, face_settings  # type: ignore[no-untyped-def]
) -> None:
    result = check_photo(load("spec_white", f"{upload}.jpg"), load("spec_white", f"{reference}.jpg"),
                         dlib_engine, face_settings)
    assert result.engine == "dlib"
    assert result.score is not None
    if PEOPLE[upload] == PEOPLE[reference]:
        assert result.status == "accepted", result.to_dict()
        assert result.message == "比对成功"
        assert result.score <= face_settings.dlib_accept_max_distance
        assert result.check(FACE_MATCH).ok
    else:
        assert result.status == "rejected", result.to_dict()
        assert result.message.startswith("比对失败")
        assert result.score > face_settings.dlib_review_max_distance
        assert not result.check(FACE_MATCH).ok
        # the spec rules passed: the failure is the comparison alone
        assert {c.rule for c in result.failed()} == {FACE_MATCH}


def test_reference_may_be_a_larger_photo_of_another_format(load, dlib_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    # The exam photo on record is not necessarily spec-sized: the original portrait works too.
    result = check_photo(load("spec_white", "obama_02.jpg"), load("orig", "obama_01.jpg"), dlib_engine, face_settings)
    assert result.status == "accepted", result.to_dict()
    png = check_photo(load("spec_white", "obama_02.jpg"), load("orig", "collins_01.png"), dlib_engine, face_settings)
    assert png.status == "rejected" and png.check(FACE_MATCH).message.startswith("与参考照片比对不一致")


def test_result_shape(load, dlib_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    body = check_photo(load("spec_white", "obama_02.jpg"), load("spec_white", "obama_03.jpg"),
                       dlib_engine, face_settings).to_dict()
    assert set(body) == {"status", "checks", "score", "engine", "message"}
    assert all(set(c) == {"rule", "ok", "state", "message"} for c in body["checks"])
    assert isinstance(body["score"], float)  # a score, never an embedding


def test_no_reference_on_file_goes_to_review(load, fake_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    result = check_photo(load("spec_white", "hopper_01.jpg"), None, fake_engine, face_settings)
    assert result.status == "review"
    assert "没有您的参考照片" in result.message and "审核" in result.message
    assert result.check(FACE_MATCH).message == "系统中没有可比对的参考照片,未进行比对"


@pytest.mark.parametrize(
    "reference, fragment",
    [(b"garbage", "参考照片无法读取"), ("blank", "参考照片中未检测到人脸")],
)
def test_unusable_reference_goes_to_review(reference, fragment, load, to_jpeg, dlib_engine, face_settings) -> None:  # type: ignore[no-untyped-def]
    if reference == "blank":
        reference = to_jpeg(Image.new("RGB", (300, 400), "white"))
    result = check_photo(load("spec_white", "obama_01.jpg"), reference, dlib_engine, face_settings)
    assert result.status == "review"
    assert fragment in result.check(FACE_MATCH).message
    assert result.score is None


@pytest.mark.parametrize(
    "score, status",
    [(0.30, "accepted"), (0.55, "accepted"), (0.58, "review"), (0.62, "review"), (0.63, "rejected")],
)
def test_dlib_bands(score, status, load, fake_engine_cls, face_settings) -> None:  # type: ignore[no-untyped-def]
    data = load("spec_white", "obama_01.jpg")
    result = check_photo(data, data, fake_engine_cls("dlib", score), face_settings)
    assert result.status == status
    assert result.score == score
    if status == "review":
        assert "审核" in result.message


def test_bands_come_from_settings() -> None:
    strict = FaceSettings(dlib_accept_max_distance=0.4, dlib_review_max_distance=0.5,
                          rekognition_accept_min_similarity=99, rekognition_review_min_similarity=90)
    assert band_for("dlib", 0.45, strict) == "review"
    assert band_for("dlib", 0.45, FaceSettings()) == "accept"
    assert band_for("rekognition", 96.0, FaceSettings()) == "accept"
    assert band_for("rekognition", 96.0, strict) == "review"
    assert band_for("rekognition", 50.0, strict) == "reject"


def test_spec_only_reports_comparison_without_deciding(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    result = spec_only(load("spec_white", "biden_01.jpg"), dlib_engine, load("spec_white", "obama_01.jpg"))
    assert result.status == "accepted"  # the spec passed; confirming the mismatch needs an override
    match = result.check(FACE_MATCH)
    assert not match.ok and match.state == "failed"
    assert match.message == "与全科合格照片比对不一致,可能不是同一人"  # written for staff
    assert "请上传" not in match.message and "所属注协" not in match.message
    assert result.score is not None and result.score > 0.62
    assert spec_only(load("spec_white", "biden_01.jpg"), dlib_engine).check(FACE_MATCH) is None


def test_each_photo_is_analysed_once(load, dlib_engine, face_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    models = dlib_module._get_models()
    calls = {"detect": 0, "embed": 0}

    class Counting:
        def __init__(self, inner, key):  # type: ignore[no-untyped-def]
            self.inner, self.key = inner, key

        def run(self, *args):  # type: ignore[no-untyped-def]
            calls["detect"] += 1
            return self.inner.run(*args)

        def compute_face_descriptor(self, *args):  # type: ignore[no-untyped-def]
            calls["embed"] += 1
            return self.inner.compute_face_descriptor(*args)

    monkeypatch.setattr(models, "detector", Counting(models.detector, "detect"))
    monkeypatch.setattr(models, "resnet", Counting(models.resnet, "embed"))
    result = check_photo(load("spec_white", "obama_01.jpg"), load("spec_white", "obama_02.jpg"),
                         dlib_engine, face_settings)
    assert result.status == "accepted"
    assert calls == {"detect": 2, "embed": 2}  # one detection and one embedding per photo


def test_shipped_hog_detector_equals_dlibs_builtin(faces_dir, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    import dlib
    import numpy as np

    builtin = dlib.get_frontal_face_detector()
    shipped = dlib_module._get_models().detector
    assert isinstance(shipped, dlib.fhog_object_detector)
    for path in sorted(faces_dir.glob("*/*")):
        image = Image.open(path).convert("RGB")
        image.thumbnail((400, 400))
        pixels = np.asarray(image)
        for upsample in (0, 1) if path.parent.name == "spec" else (0,):
            a, sa, ia = builtin.run(pixels, upsample, 0.0)
            b, sb, ib = shipped.run(pixels, upsample, 0.0)
            assert [str(r) for r in a] == [str(r) for r in b] and sa == sb and ia == ib, path.name


def test_only_the_small_models_are_loaded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dlib

    opened: list[str] = []
    monkeypatch.setattr(dlib, "shape_predictor", lambda path: opened.append(path))
    monkeypatch.setattr(dlib, "face_recognition_model_v1", lambda path: opened.append(path))
    monkeypatch.setattr(dlib, "cnn_face_detection_model_v1", lambda path: opened.append(path))
    monkeypatch.setattr(dlib, "get_frontal_face_detector", lambda: pytest.fail("slow built-in detector used"))
    dlib_module._Models.load()
    assert [p.rsplit("/", 1)[1] for p in opened] == [
        "shape_predictor_5_face_landmarks.dat",
        "dlib_face_recognition_resnet_model_v1.dat",
    ]


def test_models_load_once_under_concurrency(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    loads = []
    monkeypatch.setattr(dlib_module, "_models", None)
    monkeypatch.setattr(dlib_module._Models, "load", classmethod(lambda cls: loads.append(1) or object()))
    barrier = threading.Barrier(6)
    seen = []

    def worker() -> None:
        barrier.wait()
        seen.append(dlib_module._get_models())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(s) for s in seen}) == 1


def test_get_engine_picks_by_settings() -> None:
    assert get_engine(FaceSettings(engine="dlib")).name == "dlib"
    stub_client = object()
    assert get_engine(FaceSettings(engine="rekognition"), rekognition_client=stub_client).name == "rekognition"
    with pytest.raises(ValueError):
        get_engine(FaceSettings(engine="other"))


def test_models_are_found_without_importing_face_recognition_models() -> None:
    import sys

    folder = dlib_module.models_dir()
    assert (folder / dlib_module.RESNET_FILE).is_file()
    assert "face_recognition_models" not in sys.modules


def test_upsampling_fallback_finds_a_small_face(load, dlib_engine) -> None:  # type: ignore[no-untyped-def]
    from chalicelib.photo.imaging import Photo

    small = Image.open(io.BytesIO(load("spec_white", "obama_01.jpg"))).convert("RGB").resize((89, 110))
    assert len(dlib_engine.scan(Photo(small)).faces) == 1
