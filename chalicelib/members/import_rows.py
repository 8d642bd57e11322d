"""The members side of the import job: one checked row applied to the members table.

The jobs room (`chalicelib/jobs/import_kind.py`) plans the job, allocates and records the new
members' numbers, and batches the writes; what a row does to a member (an update under the
member's version, a new member with its account and audit entry, the ID-number claim) is the
members room's rule and storage, so it lives here and the jobs room never touches the members'
PynamoDB models (docs/architecture.md, "The arrows").

Both functions are safe to run again for the same rows (a redelivered chunk): an update already
applied finds nothing to change, and a new member already written is reported, not written twice.
"""

from __future__ import annotations

from typing import Any, Collection

from pynamodb.exceptions import DoesNotExist

from chalicelib.principal import Principal

CONFLICT = "该会员信息在检查后已被他人修改,本行未导入,请重新导入"
CLAIMED = "该证件号码在检查后已被登记为会员,本行未导入"


def update_row(principal: Principal, association: str, job_id: str, entry: dict[str, Any],
               now: str) -> tuple[str | None, Any]:
    """(failure reason or None, audit item or None) for one update row."""
    from chalicelib.members import imports
    from chalicelib.members.models import MemberModel
    from chalicelib.members.validation import validate

    try:
        member = MemberModel.get(entry["member_no"], consistent_read=True)
    except DoesNotExist:
        return "该会员已不存在,本行未导入", None
    if member.association != association:
        return "该证件号码已在其他协会登记为会员,会员转会请联系中注协办理", None
    current = member.fields()
    changes = {k: v for k, v in entry["values"].items() if current.get(k, "") != v}
    if not changes:
        return None, None  # already applied (a redelivered chunk) or nothing to change
    if "version" in entry and int(member.version or 0) != int(entry["version"]):
        return CONFLICT, None  # edited since the check: the file's values are not applied over it
    problems = validate(changes, current)
    if problems:
        return ";".join(p.message for p in problems), None
    item = imports.RowPlan(entry["row"], {**current, **changes}, member, changes)
    _, ok = imports._apply_update(principal, item, now)
    if not ok:
        return CONFLICT, None
    return None, imports._audit_item(member.member_no, principal, now, item.diff,
                                     {"row": item.row, "kind": "update", "job": job_id})


def create_rows(principal: Principal, association: str, job_id: str, entries: list[dict[str, Any]],
                numbers: dict[int, str], now: str, failed: list[list[Any]],
                maybe_written: Collection[int] | None = None) -> tuple[list[list[Any]], list[Any]]:
    """([row, member number, name] of each new member, the items to batch-write) for these
    create rows, each under its allocated number in `numbers`; a row whose ID number another
    member claimed meanwhile goes to `failed` as [row, reason]. `maybe_written`: the rows whose
    member an earlier delivery may have written (None: any); a number allocated just now names
    no member yet, so a first delivery reads nothing back."""
    from chalicelib.auth import service as accounts
    from chalicelib.members import claims, imports
    from chalicelib.members.models import MemberModel
    from chalicelib.members.service import id_key_of
    from chalicelib.members.validation import is_complete

    check = [numbers[e["row"]] for e in entries if maybe_written is None or e["row"] in maybe_written]
    present = {m.member_no for m in MemberModel.batch_get(check)} if check else set()
    created: list[list[Any]] = []
    items: list[Any] = []
    # ID numbers are claimed 100 a transaction; a claim taken meanwhile fails only its own row.
    wanted = {e["row"]: claims.claim_for(e["values"], numbers[e["row"]]) for e in entries}
    rows = [row for row, claim in wanted.items() if claim is not None]
    ours = dict(zip(rows, claims.claim_many([c for c in wanted.values() if c is not None])))
    for e in entries:
        values, member_no = e["values"], numbers[e["row"]]
        if not ours.get(e["row"], True):
            failed.append([e["row"], CLAIMED])
            continue
        created.append([e["row"], member_no, values.get("name", "")])
        if member_no in present:
            continue  # written by an earlier delivery of this chunk
        items.append(MemberModel(member_no, association=association, name=values["name"], profile=values,
                                 id_key=id_key_of(values), complete=is_complete(values), status="active",
                                 photo_status="none", failed_attempts=0, created_at=now, updated_at=now,
                                 version=1))
        items.append(accounts.member_account(member_no, association, values["name"], imports.NO_PASSWORD, now))
        items.append(imports._audit_item(member_no, principal, now, [],
                                         {"row": e["row"], "kind": "create", "job": job_id}))
    return created, items
