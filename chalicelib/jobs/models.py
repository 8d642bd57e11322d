"""The jobs room's DynamoDB items, kept in the TTL table of short-lived items.

The kinds of item, each under keys of its own:
- `job#<id>`: one job (its kind, owner, state and counters);
- `joblock#<association>#<kind>`: the one running job of a kind per association, taken by a
  conditional write when a job starts and released when it ends (or after `LOCK_HOURS`, so a job
  lost to a dead-letter queue cannot block an association for ever);
- `jobchunk#<id>#<n>`: "chunk n is counted", written in the same transaction as the job's
  counters, so a redelivered chunk is never counted twice;
- `jobindex#<association>`: the ids of the association's latest jobs (the jobs panel);
- `jobrows#<id>#<first row>`: the member numbers an import chunk allocated (`JobRowsModel`).
Every item expires (TTL) a week after its job started.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute

from chalicelib.db import BaseModel


class JobModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # job#<id>
    job_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    association = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    status = UnicodeAttribute()  # planning, running, assembling, done, failed, cancelled
    params = UnicodeAttribute(default="{}")  # JSON: the kind's input (filters, selection...)
    total = NumberAttribute(default=0)  # members (or rows) to process
    chunks = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    started = NumberAttribute(default=0)  # epoch seconds, for the rate
    finished_at = UnicodeAttribute(null=True)
    result_key = UnicodeAttribute(null=True)
    result_name = UnicodeAttribute(null=True)
    report_key = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)  # why it failed (Chinese, for staff)
    expires_at = TTLAttribute()


class JobLockModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # joblock#<association>#<kind>
    job_id = UnicodeAttribute(null=True)
    held_until = NumberAttribute(default=0)  # epoch seconds
    expires_at = TTLAttribute(null=True)


class JobChunkModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # jobchunk#<id>#<n>
    expires_at = TTLAttribute()


class JobIndexModel(BaseModel):
    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)  # jobindex#<association>
    recent = ListAttribute(of=UnicodeAttribute, default=list)
    expires_at = TTLAttribute(null=True)


class JobRowsModel(BaseModel):
    """`jobrows#<id>#<first row>`: the member numbers an import chunk allocated for its new rows
    ("<row>=<member no>"), written before any ID number is claimed, so a redelivered chunk reuses
    them: its claims are then its own and the members already written are not written again."""

    table_setting = "ephemeral"

    class Meta(BaseModel.Meta):
        pass

    key = UnicodeAttribute(hash_key=True)
    numbers = UnicodeSetAttribute(default=set)
    expires_at = TTLAttribute()
