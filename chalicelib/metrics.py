"""Business and failure metrics as CloudWatch Embedded Metric Format (EMF) lines on stdout.

CloudWatch turns each EMF line in a Lambda function's log into metric data points, with no API
call and no added latency, and the alarms in the stack watch them (e.g. `AuthorizerCheckFailed`).
Every metric has the one dimension `service` (POWERTOOLS_SERVICE_NAME) in the stage's namespace
(POWERTOOLS_METRICS_NAMESPACE), the same layout as Powertools' Metrics, without the package.

A metric line carries only its name, value and unit: never a member number, a name or any
other personal data (the helpers below accept nothing else).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import sys
import time
from typing import Iterator

from chalicelib import config

# The metrics the app emits, in one place so that alarms and dashboards can rely on the names.
PHOTO_ACCEPTED = "PhotoAccepted"
PHOTO_REJECTED = "PhotoRejected"
PHOTO_SENT_TO_REVIEW = "PhotoSentToReview"
FACE_DISTANCE = "FaceComparisonDistance"      # dlib: Euclidean distance (smaller = more alike)
FACE_SIMILARITY = "FaceComparisonSimilarity"  # Rekognition: similarity in percent
CERTIFICATES_ISSUED = "CertificatesIssued"
LOGIN_FAILURES = "LoginFailures"
JOBS_STARTED = "JobsStarted"
JOBS_FINISHED = "JobsFinished"
JOBS_FAILED = "JobsFailed"  # a job message dead-lettered: the job is failed
AUTHORIZER_TOKEN_INVALID = "AuthorizerTokenInvalid"
AUTHORIZER_CHECK_FAILED = "AuthorizerCheckFailed"

COUNT = "Count"
NONE = "None"
PERCENT = "Percent"


def emf_line(name: str, value: float, unit: str = COUNT, *, timestamp_ms: int | None = None) -> str:
    """One EMF JSON line for metric `name`."""
    service = config.service_name()
    return json.dumps({
        "_aws": {
            "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": config.metrics_namespace(),
                "Dimensions": [["service"]],
                "Metrics": [{"Name": name, "Unit": unit}],
            }],
        },
        "service": service,
        name: value,
    }, separators=(",", ":"))


def put(name: str, value: float, unit: str = COUNT) -> None:
    """Emit one data point (a metric failing must never fail the work it measures)."""
    try:
        sys.stdout.write(emf_line(name, value, unit) + "\n")
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - stdout closed or full: drop the point
        pass


# Counts held back by `batched()` (None: each count is its own line).
_TALLY: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("metrics_tally", default=None)


def count(name: str, value: int = 1) -> None:
    tally = _TALLY.get()
    if tally is None:
        put(name, value, COUNT)
    else:
        tally[name] = tally.get(name, 0) + value


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Counts made inside go out as one line per metric when the block ends (also when it
    raises: what was done was done): a bulk chunk issuing 300 certificates writes one
    `CertificatesIssued` line of 300, not 300 lines of 1. CloudWatch sums the values, so the
    alarms and dashboards see the same totals."""
    tally: dict[str, int] = {}
    token = _TALLY.set(tally)
    try:
        yield
    finally:
        _TALLY.reset(token)
        for name, value in tally.items():
            put(name, value, COUNT)
