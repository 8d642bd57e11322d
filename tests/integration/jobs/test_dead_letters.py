"""A job message that failed every delivery lands in the jobs dead-letter queue; its handler fails
the job at once (not hours later when the lock ages out) and frees the lock for a new job."""

from __future__ import annotations

import json

from chalicelib.jobs import kinds
from chalicelib.jobs.worker import DEAD_LETTER_MESSAGE
from tests.integration.jobs.conftest import Ctx, seed_members, sqs_event


def _start(client, who, **body):
    return client.http.post("/jobs", headers=who.headers, body=json.dumps(body))


def _dead_letter(aws, body: str) -> None:
    """Deliver `body` as Lambda would from the jobs dead-letter queue."""
    import app as app_module
    from chalicelib import aws as clients
    from chalicelib.config import jobs_dead_letter_queue_name

    sqs = clients.client("sqs", aws.settings.region)
    url = sqs.get_queue_url(QueueName=jobs_dead_letter_queue_name({"JOBS_QUEUE": aws.settings.jobs_queue}))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    app_module.job_dead_letters(sqs_event(body, arn), Ctx())


def test_a_dead_lettered_chunk_fails_the_job_and_frees_its_kind(client, aws, persona, worker, monkeypatch, capsys):
    monkeypatch.setattr(kinds, "EXPORT_CHUNK", 100)
    seed_members("110000", 250)
    bj = persona("association_staff", "110000")
    job = _start(client, bj, kind="export").json_body
    worker.drain(only=lambda m: bool(m.get("plan")))  # planned: three chunk messages wait
    chunk = next(m for m in worker.receive() if not json.loads(m["Body"]).get("plan"))
    assert client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body["status"] == "running"
    assert _start(client, bj, kind="export").json_body["code"] == "JOB_RUNNING"
    capsys.readouterr()

    _dead_letter(aws, chunk["Body"])
    body = client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body
    assert body["status"] == "failed" and body["message"] == DEAD_LETTER_MESSAGE and body["finished_at"]
    metric_lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["JobsFailed"] for m in metric_lines if "JobsFailed" in m] == [1]
    # a new export may start at once; the failed job's remaining chunks change nothing
    again = _start(client, bj, kind="export")
    assert again.status_code == 202, again.body
    worker.drain()
    assert client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body["status"] == "failed"
    assert client.http.get(f"/jobs/{again.json_body['job_id']}", headers=bj.headers).json_body["status"] == "done"


def test_a_dead_letter_for_a_finished_or_unknown_job_changes_nothing(client, aws, persona, worker, capsys):
    seed_members("110000", 5)
    bj = persona("association_staff", "110000")
    job = _start(client, bj, kind="export").json_body
    worker.drain()
    capsys.readouterr()
    _dead_letter(aws, json.dumps({"job": job["job_id"], "chunk": 0, "members": []}))
    _dead_letter(aws, json.dumps({"job": "f" * 32, "plan": True}))
    _dead_letter(aws, "not json")
    assert client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body["status"] == "done"
    assert "JobsFailed" not in capsys.readouterr().out
