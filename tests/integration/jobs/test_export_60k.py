"""The largest association (60,000 members) exports as one job (not timed: see bench/bench_jobs.py).

It runs in every suite: the members are written with batch writes, and moto has DynamoDB's cost
model here as in the local stack (devstack/moto_dynamodb.py), so seeding and the job take a
couple of minutes on two cores rather than the better part of an hour.
"""

from __future__ import annotations

import io
import json

from python_calamine import CalamineWorkbook

from chalicelib.jobs import kinds
from tests.integration.jobs.conftest import fetch, seed_members

MEMBERS = 60_000


def test_a_60000_member_export_job_completes(client, aws, persona, worker):
    numbers = seed_members("110000", MEMBERS)
    bj = persona("association_staff", "110000")
    r = client.http.post("/jobs", headers=bj.headers, body=json.dumps({"kind": "export"}))
    assert r.status_code == 202, r.body
    job_id = r.json_body["job_id"]
    worker.drain(limit=1_000)
    assert worker.failures == 0
    body = client.http.get(f"/jobs/{job_id}", headers=bj.headers).json_body
    assert body["status"] == "done", body
    assert body["total"] == body["done"] == MEMBERS and body["failed"] == 0
    assert body["chunks"] == body["chunks_done"] == MEMBERS // kinds.EXPORT_CHUNK
    link = client.http.get(f"/jobs/{job_id}/result", headers=bj.headers).json_body
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(fetch(link["url"]))).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "会员证书编号"
    assert len(sheet) - 1 == MEMBERS
    assert [row[0] for row in sheet[1:]] == numbers
