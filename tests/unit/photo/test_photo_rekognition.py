"""The Rekognition adapter's requests and responses, through botocore's Stubber.

Never moto here: its CompareFaces answers a canned match whatever the photos (STYLE 10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.config import FaceSettings
from chalicelib.errors import ServiceUnavailable
from chalicelib.photo import FaceServiceUnavailable, check_photo, get_engine, spec_only
from chalicelib.photo.checks import FACE_MATCH
from chalicelib.photo.rekognition import RekognitionEngine

SETTINGS = FaceSettings(engine="rekognition")


@pytest.fixture()
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("rekognition", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def face_detail(left: float = 0.25, top: float = 0.25, width: float = 0.5, height: float = 0.5,
                confidence: float = 99.9, roll: float = 2.0) -> dict[str, Any]:
    return {
        "BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height},
        "Confidence": confidence,
        "Pose": {"Roll": roll, "Yaw": 1.0, "Pitch": 0.5},
        "Landmarks": [],
        "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
    }


def expect_detect(stubber: Stubber, data: bytes, details: list[dict[str, Any]]) -> None:
    stubber.add_response("detect_faces", {"FaceDetails": details},
                         {"Image": {"Bytes": data}, "Attributes": ["DEFAULT"]})


def expect_compare(stubber: Stubber, source: bytes, target: bytes, response: dict[str, Any]) -> None:
    stubber.add_response(
        "compare_faces",
        response,
        {"SourceImage": {"Bytes": source}, "TargetImage": {"Bytes": target},
         "SimilarityThreshold": 0.0, "QualityFilter": "AUTO"},
    )


def matches(*similarities: float) -> dict[str, Any]:
    return {
        "SourceImageFace": {"BoundingBox": {"Left": 0.2, "Top": 0.2, "Width": 0.5, "Height": 0.6}, "Confidence": 99.0},
        "FaceMatches": [{"Similarity": s, "Face": {"BoundingBox": {"Left": 0.25, "Top": 0.25, "Width": 0.5,
                                                                   "Height": 0.5}, "Confidence": 99.0}}
                        for s in similarities],
        "UnmatchedFaces": [],
    }


@pytest.mark.parametrize("similarity, status", [(99.2, "accepted"), (88.0, "review"), (12.5, "rejected")])
def test_compare_faces_bands(similarity, status, stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload, reference = load("spec_white", "obama_02.jpg"), load("spec_white", "obama_01.jpg")
    expect_detect(stubber, upload, [face_detail()])
    expect_compare(stubber, reference, upload, matches(similarity))
    result = check_photo(upload, reference, get_engine(SETTINGS, rekognition_client=client), SETTINGS)
    assert result.status == status, result.to_dict()
    assert result.engine == "rekognition"
    assert result.score == similarity


def test_detect_faces_boxes_feed_count_framing_and_sharpness(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload = load("spec_white", "hopper_01.jpg")
    # one real face, one low-confidence poster face that must not be counted
    expect_detect(stubber, upload, [face_detail(0.26, 0.27, 0.48, 0.42), face_detail(0.0, 0.0, 0.1, 0.1, 60.0)])
    result = spec_only(upload, RekognitionEngine(client))
    assert result.status == "accepted", result.to_dict()
    assert result.check("exactly_one_face").ok


def test_two_confident_faces_and_a_tilted_head(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload = load("spec_white", "hopper_01.jpg")
    expect_detect(stubber, upload, [face_detail(), face_detail(0.05, 0.6, 0.2, 0.2)])
    count = spec_only(upload, RekognitionEngine(client)).check("exactly_one_face")
    assert count.message == "检测到 2 张人脸,照片中只能有本人"
    expect_detect(stubber, upload, [face_detail(roll=30.0)])
    assert "倾斜" in spec_only(upload, RekognitionEngine(client)).check("face_size_and_position").message


def test_throttling_is_a_service_error_that_propagates(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload, reference = load("spec_white", "obama_02.jpg"), load("spec_white", "obama_01.jpg")
    expect_detect(stubber, upload, [face_detail()])
    stubber.add_client_error("compare_faces", service_error_code="ThrottlingException",
                             service_message="Rate exceeded", http_status_code=400)
    with pytest.raises(FaceServiceUnavailable) as info:
        check_photo(upload, reference, RekognitionEngine(client), SETTINGS)
    assert isinstance(info.value, ServiceUnavailable)
    assert info.value.status == 503 and "Throttling" not in info.value.message


def test_detect_faces_outage_propagates(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    stubber.add_client_error("detect_faces", service_error_code="InternalServerError", http_status_code=500)
    with pytest.raises(FaceServiceUnavailable):
        check_photo(load("spec_white", "obama_02.jpg"), b"ref", RekognitionEngine(client), SETTINGS)


def test_reference_without_a_face_goes_to_review(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload, reference = load("spec_white", "obama_02.jpg"), load("spec_white", "obama_01.jpg")
    expect_detect(stubber, upload, [face_detail()])
    stubber.add_client_error("compare_faces", service_error_code="InvalidParameterException",
                             service_message="Request has invalid parameters", http_status_code=400,
                             expected_params={"SourceImage": {"Bytes": reference}, "TargetImage": {"Bytes": upload},
                                              "SimilarityThreshold": 0.0, "QualityFilter": ANY})
    result = check_photo(upload, reference, RekognitionEngine(client), SETTINGS)
    assert result.status == "review"
    assert "参考照片" in result.check(FACE_MATCH).message


def test_quality_filtered_upload_is_rejected(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed
    upload, reference = load("spec_white", "obama_02.jpg"), load("spec_white", "obama_01.jpg")
    expect_detect(stubber, upload, [face_detail()])
    expect_compare(stubber, reference, upload, {"FaceMatches": [], "UnmatchedFaces": []})
    result = check_photo(upload, reference, RekognitionEngine(client), SETTINGS)
    assert result.status == "rejected"
    assert "无法比对" in result.check(FACE_MATCH).message


def test_spec_failure_makes_no_service_call(stubbed, load) -> None:  # type: ignore[no-untyped-def]
    client, stubber = stubbed  # no responses queued: any call would fail the test
    result = check_photo(b"not a photo", load("spec_white", "obama_01.jpg"), RekognitionEngine(client), SETTINGS)
    assert result.status == "rejected" and not result.check("format").ok
