"""Job state in DynamoDB: every write that decides something is conditional.

- `create`: the job, the association's lock for its kind and the index entry in one transaction;
  the lock's condition refuses a second running job of a kind (`JobRunning`).
- `count_chunk`: the chunk's "counted" mark (put only if absent) and the job's counters in one
  transaction, so a chunk redelivered after it was counted (or after a crash) adds nothing.
- `claim`: a state change that only one caller can win (running -> assembling, -> cancelled).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Iterable

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.db import condition_failed
from chalicelib.errors import AppError
from chalicelib.jobs.models import JobChunkModel, JobIndexModel, JobLockModel, JobModel

TTL = timedelta(days=7)
# A lock older than this belongs to a job that died (its messages went to the dead-letter queue):
# far longer than any job runs (a 60,000-member bulk job takes minutes).
LOCK_HOURS = 6
RECENT = 20
ACTIVE = ("planning", "running", "assembling")


class JobRunning(AppError):
    status, code = 409, "JOB_RUNNING"
    message = "本协会已有同类任务正在进行,请等待其完成或取消后再试"


def expiry() -> datetime:
    return datetime.now(timezone.utc) + TTL


def _connection() -> Connection:
    """The jobs table model's own connection: a new Connection would build a new botocore client
    (its service model parsed again, ~0.3 s) for every counted chunk."""
    return JobModel._get_connection().connection


def _lock_key(association: str, kind: str) -> str:
    return f"joblock#{association}#{kind}"


def _cancelled_by_condition(exc: TransactWriteError) -> bool:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def create(job: JobModel) -> None:
    now = time.time()
    lock = JobLockModel(_lock_key(job.association, job.kind))
    index = JobIndexModel(f"jobindex#{job.association}")
    try:
        with TransactWrite(connection=_connection()) as t:
            t.save(job, condition=JobModel.key.does_not_exist())
            t.update(lock, actions=[JobLockModel.job_id.set(job.job_id),
                                    JobLockModel.held_until.set(int(now) + LOCK_HOURS * 3600),
                                    JobLockModel.expires_at.set(job.expires_at)],
                     condition=(JobLockModel.job_id.does_not_exist() | (JobLockModel.held_until < int(now))))
            t.update(index, actions=[JobIndexModel.recent.set(
                (JobIndexModel.recent | []).prepend([job.job_id])),
                JobIndexModel.expires_at.set(job.expires_at)])
    except TransactWriteError as exc:
        if _cancelled_by_condition(exc):
            raise JobRunning() from None
        raise
    _trim_index(job.association)


def _trim_index(association: str) -> None:
    index = JobIndexModel.get(f"jobindex#{association}", consistent_read=True)
    if len(index.recent) > RECENT:
        index.update(actions=[JobIndexModel.recent[i].remove() for i in range(RECENT, len(index.recent))])


def release(job: JobModel) -> None:
    """Free the association's lock if this job still holds it."""
    lock = JobLockModel(_lock_key(job.association, job.kind))
    try:
        lock.update(actions=[JobLockModel.job_id.remove(), JobLockModel.held_until.set(0)],
                    condition=JobLockModel.job_id == job.job_id)
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def get(job_id: str) -> JobModel | None:
    try:
        return JobModel.get(f"job#{job_id}", consistent_read=True)
    except DoesNotExist:
        return None


def recent(association: str) -> list[JobModel]:
    try:
        stored = JobIndexModel.get(f"jobindex#{association}", consistent_read=True).recent
    except DoesNotExist:
        return []
    ids = [str(i) for i in stored][:RECENT]
    found = {str(j.job_id): j for j in JobModel.batch_get([f"job#{i}" for i in ids])}
    return [found[i] for i in ids if i in found]


def progress(job: JobModel, done: int, total: int) -> None:
    """Work done so far by a job still planning (an import check runs its rows there): the
    counts the jobs panel turns into a bar, a rate and a time left, from the first report on.
    A job cancelled meanwhile is left as it is."""
    actions: list[Action] = [JobModel.done.set(done), JobModel.total.set(total)]
    if not job.started:
        actions.append(JobModel.started.set(time.time()))
    try:
        job.update(actions=actions, condition=JobModel.status == "planning")
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def planned(job: JobModel, total: int | None, chunks: int) -> bool:
    """planning -> running with the counts (`total` None: keep what `progress` recorded); False
    if the job was cancelled meanwhile (or this is a redelivered plan whose job is already
    running: the caller re-sends the chunks)."""
    actions: list[Action] = [JobModel.status.set("running"), JobModel.chunks.set(chunks),
                             JobModel.started.set(time.time())]
    if total is not None:
        actions.append(JobModel.total.set(total))
    try:
        job.update(actions=actions, condition=JobModel.status == "planning")
        return True
    except UpdateError as exc:
        if condition_failed(exc):
            job.refresh(consistent_read=True)
            return job.status == "running"
        raise


def count_chunk(job: JobModel, chunk: int, done: int, failed: int) -> bool:
    """Count a finished chunk once; False if it had been counted already."""
    mark = JobChunkModel(f"jobchunk#{job.job_id}#{chunk}", expires_at=job.expires_at)
    try:
        with TransactWrite(connection=_connection()) as t:
            t.save(mark, condition=JobChunkModel.key.does_not_exist())
            t.update(JobModel(job.key), actions=[JobModel.chunks_done.add(1), JobModel.done.add(done),
                                                 JobModel.failed.add(failed)])
    except TransactWriteError as exc:
        if _cancelled_by_condition(exc):
            return False
        raise
    return True


def claim(job: JobModel, to: str, allowed: Iterable[str]) -> bool:
    """Move the job to state `to` if it is in one of `allowed`; only one caller wins."""
    condition = None
    for state in allowed:
        c = JobModel.status == state
        condition = c if condition is None else condition | c
    try:
        job.update(actions=[JobModel.status.set(to)], condition=condition)
        return True
    except UpdateError as exc:
        if condition_failed(exc):
            job.refresh(consistent_read=True)
            return False
        raise


def finish(job: JobModel, status: str, *, finished_at: str, result_key: str | None = None,
           result_name: str | None = None, report_key: str | None = None, message: str | None = None) -> None:
    actions: list[Action] = [JobModel.status.set(status), JobModel.finished_at.set(finished_at)]
    for attr, value in ((JobModel.result_key, result_key), (JobModel.result_name, result_name),
                        (JobModel.report_key, report_key), (JobModel.message, message)):
        if value is not None:
            actions.append(attr.set(value))
    # The lock first: once anyone sees the job finished, a new job of its kind can start. (In the
    # other order, a worker stopped between the two writes left the lock held: the redelivered
    # message finds the job finished and does nothing, so the lock waited to age out.)
    release(job)
    job.update(actions=actions)
