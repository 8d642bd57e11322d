"""The jobs queue's worker: plan a job, run one chunk, and let the last chunk assemble.

Every step can be redelivered (SQS is at-least-once; a crashed invocation's message comes back
after the visibility timeout), so every step is idempotent:
- plan: re-planning a running job only re-sends the chunk messages (their outputs and counts
  are idempotent too);
- chunk: its output goes to a fixed S3 key, then it is counted once (a conditional mark in the
  same transaction as the counters); a chunk of a cancelled or finished job is dropped;
- assemble: the chunk that sees every chunk counted claims the job (running -> assembling,
  one winner) and writes the result under a fixed key; a redelivered message of a job left in
  "assembling" by a crash assembles again.
An exception propagates, so the message is retried and ends in the dead-letter queue, whose
handler (`dead_letter`) fails the job at once and frees the association's lock for its kind:
without it the job would show as running until the lock aged out hours later. The queue's
visibility timeout is six times the worker's timeout (90 minutes, sized for the assembly of the
largest ZIP), so a failed step first makes its message visible again after RETRY_SECONDS: a
transient error costs a minute, not an hour and a half (only a crashed or timed-out invocation
waits for the visibility timeout).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Iterator

from chalicelib import metrics
from chalicelib.db import utcnow_iso
from chalicelib.errors import AppError
from chalicelib.jobs import repository as repo
from chalicelib.jobs.files import JobFiles
from chalicelib.jobs.kinds import KINDS
from chalicelib.jobs.models import JobModel
from chalicelib.principal import Principal

log = logging.getLogger(__name__)
BEIJING_STAMP = "%Y%m%d-%H%M"
DEAD_LETTER_MESSAGE = "部分数据多次处理失败,任务已停止,请重新发起任务"


RETRY_SECONDS = 60


def handle_event(d: Any, event: Any) -> None:
    for record in event:
        try:
            handle_message(d, json.loads(record.body))
        except Exception:
            _retry_soon(d, record.receipt_handle)
            raise


def _retry_soon(d: Any, receipt_handle: str) -> None:
    try:
        d.job_queue.retry_after(receipt_handle, RETRY_SECONDS)
    except Exception:  # the step's own error is the one to report; the message still comes back
        log.warning("could not shorten the retry of a failed job message")


def handle_message(d: Any, message: dict[str, Any]) -> None:
    job = repo.get(str(message.get("job", "")))
    if job is None or job.kind not in KINDS:
        log.warning("job message for an unknown job dropped")
        return
    with metrics.batched():  # a chunk's 300 certificates: one metric line of 300
        if message.get("plan"):
            _plan(d, job)
        else:
            _chunk(d, job, int(message["chunk"]), list(message["members"]))


def _principal(job: JobModel) -> Principal:
    return Principal(username=job.actor, role=job.actor_role, association=job.association)


def _plan(d: Any, job: JobModel) -> None:
    if job.status not in ("planning", "running"):
        return
    try:
        chunks = KINDS[job.kind].plan(d, job, _principal(job))
    except AppError as err:  # the job cannot run (e.g. its uploaded file is gone): say why
        repo.finish(job, "failed", finished_at=utcnow_iso(), message=err.message)
        log.info("job failed while planning id=%s code=%s", job.job_id, err.code)
        return
    total = sum(len(c) for c in chunks)
    # a job whose work was all done while planning (an import check) keeps the counts it reported
    if not repo.planned(job, total if chunks else None, len(chunks)):
        return  # cancelled meanwhile
    d.job_queue.send([{"job": job.job_id, "chunk": n, "members": members} for n, members in enumerate(chunks)])
    log.info("job planned id=%s total=%d chunks=%d", job.job_id, total, len(chunks))
    if not chunks:
        _maybe_assemble(d, job)


def _chunk(d: Any, job: JobModel, chunk: int, members: list[str]) -> None:
    if job.status == "assembling":
        _maybe_assemble(d, job)
        return
    if job.status != "running":
        return  # cancelled, failed or done: further chunks stop here
    outcome = KINDS[job.kind].chunk(d, job, _principal(job), members)
    d.job_files.put_json(JobFiles.chunk_key(job.job_id, chunk), outcome.output)
    repo.count_chunk(job, chunk, outcome.done, outcome.failed)
    job.refresh(consistent_read=True)
    _maybe_assemble(d, job)


def _outputs(d: Any, job: JobModel) -> Iterator[dict[str, Any]]:
    for n in range(int(job.chunks)):
        yield d.job_files.get_json(JobFiles.chunk_key(job.job_id, n))


def _maybe_assemble(d: Any, job: JobModel) -> None:
    if int(job.chunks_done) < int(job.chunks):
        return
    if job.status == "running" and not repo.claim(job, "assembling", ("running",)):
        return
    if job.status not in ("running", "assembling"):
        return
    from chalicelib.cert.service import BEIJING

    stamp = datetime.now(BEIJING).strftime(BEIJING_STAMP)
    result = KINDS[job.kind].assemble(d, job, _outputs(d, job), stamp)
    repo.finish(job, "done", finished_at=utcnow_iso(), result_key=result.key, result_name=result.filename,
                report_key=result.report_key)
    d.job_files.delete([JobFiles.chunk_key(job.job_id, n) for n in range(int(job.chunks))])
    log.info("job done id=%s total=%d failed=%d", job.job_id, int(job.total), int(job.failed))


def handle_dead_letters(event: Any) -> None:
    for record in event:
        try:
            message = json.loads(record.body)
        except ValueError:
            log.warning("unreadable message in the jobs dead-letter queue dropped")
            continue
        dead_letter(message if isinstance(message, dict) else {})


def dead_letter(message: dict[str, Any]) -> None:
    """A job message failed every delivery: fail its job (if it still runs) and free the lock."""
    job = repo.get(str(message.get("job", "")))
    if job is None:
        log.warning("dead-lettered job message for an unknown job dropped")
        return
    step = "plan" if message.get("plan") else f"chunk {message.get('chunk')}"
    if not repo.claim(job, "failed", repo.ACTIVE):
        log.info("dead-lettered %s of a finished job id=%s status=%s", step, job.job_id, job.status)
        return
    repo.finish(job, "failed", finished_at=utcnow_iso(), message=DEAD_LETTER_MESSAGE)
    metrics.count(metrics.JOBS_FAILED)
    log.warning("job failed: its %s reached the dead-letter queue id=%s kind=%s", step, job.job_id, job.kind)
