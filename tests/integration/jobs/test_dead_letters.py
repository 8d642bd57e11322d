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


def test_a_worker_stopped_while_finishing_leaves_the_kind_free(client, aws, persona, worker, monkeypatch):
    """A job seen finished never keeps its lock. Finishing is two writes (the job's status, the
    lock freed); a worker that stops after the first leaves its message to be redelivered, and
    the redelivery must still leave the kind free for a new job."""
    from chalicelib.jobs import repository
    from chalicelib.jobs.models import JobModel

    seed_members("110000", 5)
    bj = persona("association_staff", "110000")
    job = _start(client, bj, kind="export").json_body
    stock_update, stock_release, writes = JobModel.update, repository.release, []

    def update(self, actions, condition=None, **kw):
        if any("finished_at" in str(a) for a in actions):
            writes.append("status")
            if len(writes) == 2:
                raise RuntimeError("worker stopped")
        return stock_update(self, actions=actions, condition=condition, **kw)

    def release(j):
        writes.append("lock")
        if len(writes) == 2:
            raise RuntimeError("worker stopped")
        return stock_release(j)

    monkeypatch.setattr(JobModel, "update", update)
    monkeypatch.setattr(repository, "release", release)
    worker.drain()  # the failed delivery comes back
    assert len(writes) >= 2
    assert client.http.get(f"/jobs/{job['job_id']}", headers=bj.headers).json_body["status"] == "done"
    assert repository.JobLockModel.get(repository._lock_key("110000", "export")).job_id is None
    again = _start(client, bj, kind="export")
    assert again.status_code == 202, again.body
