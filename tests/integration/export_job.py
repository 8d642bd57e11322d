"""Run a staff export the way the admin page does: `POST /jobs {"kind": "export"}`, the job
worker drained as Lambda would run it, then the result's presigned link fetched."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.jobs.conftest import Worker, fetch


def export_xlsx(client: Any, aws: Any, who: Any, filter: dict[str, str] | None = None) -> bytes:
    """The export workbook's bytes; fails the test if the job does not finish as `done`."""
    r = client.http.post("/jobs", headers=who.headers, body=json.dumps({"kind": "export", "filter": filter or {}}))
    assert r.status_code == 202, r.body
    job_id = r.json_body["job_id"]
    Worker(aws).drain()
    body = client.http.get(f"/jobs/{job_id}", headers=who.headers).json_body
    assert body["status"] == "done", body
    link = client.http.get(f"/jobs/{job_id}/result", headers=who.headers)
    assert link.status_code == 200, link.body
    return fetch(link.json_body["url"])
