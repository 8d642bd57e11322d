"""The audit log: who changed what, when, from what to what.

Every writer goes through `record`, which masks sensitive values (ID numbers) before they are
stored, and can be made idempotent with an `event_key` (a redelivered event writes nothing new).
Batch work that records one entry per member (a bulk certificate chunk) notes them in a
`Pending` and writes them together, 25 a request.
"""

from __future__ import annotations

import secrets
from typing import Any, Iterable, Mapping

from pynamodb.exceptions import PutError

from chalicelib import batch
from chalicelib.db import condition_failed, utcnow_iso
from chalicelib.members.models import AuditModel
from chalicelib.members.schema import FIELDS_BY_KEY
from chalicelib.members.validation import mask_id_number
from chalicelib.principal import Principal

SENSITIVE = frozenset({"id_number"})


def _mask(field: str, value: Any) -> str:
    text = "" if value is None else str(value)
    return mask_id_number(text) if field in SENSITIVE else text


def diff(old: Mapping[str, Any], new: Mapping[str, Any], keys: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Field-level changes between two records, masked, in schema order."""
    keys = list(keys) if keys is not None else [k for k in FIELDS_BY_KEY if k in old or k in new]
    out = []
    for key in keys:
        before, after = str(old.get(key) or ""), str(new.get(key) or "")
        if before != after:
            label = FIELDS_BY_KEY[key].label if key in FIELDS_BY_KEY else key
            out.append({"field": key, "label": label, "old": _mask(key, before), "new": _mask(key, after)})
    return out


def _entry(member_no: str, actor: Principal | str, action: str, changes: list[dict[str, str]] | None,
           detail: Mapping[str, Any] | None, event_key: str | None, actor_role: str) -> AuditModel:
    at = utcnow_iso()
    if isinstance(actor, Principal):
        actor_name, actor_role = actor.actor, actor.role
    else:
        actor_name = actor
    sk = f"event#{event_key}" if event_key else f"{at}#{secrets.token_hex(4)}"
    return AuditModel(member_no, sk, at=at, actor=actor_name, actor_role=actor_role, action=action,
                      changes=changes or [], detail=dict(detail or {}), event_key=event_key)


def record(member_no: str, actor: Principal | str, action: str, *,
           changes: list[dict[str, str]] | None = None, detail: Mapping[str, Any] | None = None,
           event_key: str | None = None, actor_role: str = "system") -> bool:
    """Append one entry; with `event_key`, at most one entry per key (returns False if it existed)."""
    entry = _entry(member_no, actor, action, changes, detail, event_key, actor_role)
    try:
        entry.save(condition=AuditModel.sk.does_not_exist() if event_key else None)
    except PutError as exc:
        if event_key and condition_failed(exc):
            return False
        raise
    return True


class Pending:
    """Entries noted one by one (each with the time it was noted) and written together by
    `write`: BatchWriteItem, 25 entries a request instead of one request each. Only entries
    without an event key (a batch write has no condition). Entries not yet written when the
    process dies are lost with the work that noted them: batch work is redone on redelivery,
    and notes them again then."""

    def __init__(self) -> None:
        self._entries: list[AuditModel] = []

    def record(self, member_no: str, actor: Principal | str, action: str, *,
               changes: list[dict[str, str]] | None = None, detail: Mapping[str, Any] | None = None,
               actor_role: str = "system") -> None:
        self._entries.append(_entry(member_no, actor, action, changes, detail, None, actor_role))

    def write(self) -> None:
        entries, self._entries = self._entries, []
        if entries:
            batch.batch_put(entries)


def history(member_no: str, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first (entries are sorted by their `at` time, whatever their sort key)."""
    items = [
        {"at": e.at, "actor": e.actor, "actor_role": e.actor_role, "action": e.action,
         "changes": [dict(c.as_dict() if hasattr(c, "as_dict") else c) for c in (e.changes or [])],
         "detail": dict(e.detail.as_dict() if hasattr(e.detail, "as_dict") else (e.detail or {}))}
        for e in AuditModel.query(member_no, limit=limit)
    ]
    return sorted(items, key=lambda e: e["at"], reverse=True)
