"""One member per ID number, also under concurrency: the ID-number claim items.

Entry (录入), application approval, import and a change of ID number each write the member and
its claim (`IdClaimModel`, "must not exist yet") in one DynamoDB transaction, or, for the
import's batch, claim first and write the member after. The index query in `service` stays as
the friendly early answer; the claim is what decides a race.
"""

from __future__ import annotations

from typing import Mapping

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.db import condition_failed
from chalicelib.errors import Conflict
from chalicelib.members.models import IdClaimModel, MemberModel

# TransactWriteItems takes at most 100 actions.
CLAIMS_PER_TRANSACTION = 100
CLAIM_ROUNDS = 5

DUPLICATE_MESSAGE = "该证件号码已登记为会员,不能重复录入"


def duplicate(label: str = "证件号码") -> Conflict:
    return Conflict(DUPLICATE_MESSAGE, code="DUPLICATE_ID_NUMBER",
                    errors=[{"key": "id_number", "label": label, "message": "该证件号码已登记为会员"}])


def claim_for(values: Mapping[str, str], member_no: str) -> IdClaimModel | None:
    id_key = MemberModel.make_id_key(values.get("id_type", ""), values.get("id_number", ""))
    return IdClaimModel(IdClaimModel.key_for(id_key), owner=member_no) if id_key else None


def add_claim(tx: TransactWrite, claim: IdClaimModel | None) -> None:
    """Put `claim` in the transaction; the transaction fails if someone holds it already."""
    if claim is not None:
        tx.save(claim, condition=IdClaimModel.member_no.does_not_exist())


def release_claim(tx: TransactWrite, values: Mapping[str, str], member_no: str) -> None:
    """Delete the member's claim on its old ID number (members created before claims have none)."""
    old = claim_for(values, member_no)
    if old is not None:
        tx.delete(old, condition=(IdClaimModel.owner == member_no) | IdClaimModel.member_no.does_not_exist())


def held_by_other(claim: IdClaimModel | None) -> bool:
    """After a failed transaction: is `claim` held by another member?"""
    if claim is None:
        return False
    try:
        stored = IdClaimModel.get(claim.member_no, consistent_read=True)
    except DoesNotExist:
        return False
    return stored.owner != claim.owner


def raise_if_claimed(exc: TransactWriteError, claim: IdClaimModel | None) -> None:
    """Turn a cancelled transaction into 409 DUPLICATE_ID_NUMBER when the claim was the reason."""
    if exc.cause_response_code == "TransactionCanceledException" and held_by_other(claim):
        raise duplicate() from None


def claim_alone(claim: IdClaimModel) -> bool:
    """Put one claim on its own (the import claims every new row before its batch write):
    True if it is ours now, False if another member holds it."""
    try:
        claim.save(condition=IdClaimModel.member_no.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return not held_by_other(claim)
        raise
    return True



def claim_many(wanted: list[IdClaimModel]) -> list[bool]:
    """`claim_alone` for many claims (the import job's new rows), 100 a transaction instead of
    one request each: for each claim, True if it is ours now, False if another member holds it.

    A transaction is all or nothing, so one claim held by someone else cancels its 99 neighbours:
    the cancellation says which ones failed their condition; those are decided like
    `claim_alone` (held by another member, or already ours from an earlier delivery) and the
    rest go again. Claims a transaction could not decide after a few rounds (conflicts with
    other writers) are put one by one.
    """
    from chalicelib.members.store import transaction

    result: dict[int, bool] = {}
    pending: list[int] = []
    seen: set[str] = set()
    for i, claim in enumerate(wanted):
        if claim.member_no in seen:  # one transaction cannot touch an item twice
            result[i] = claim_alone(claim)
        else:
            seen.add(claim.member_no)
            pending.append(i)
    for _ in range(CLAIM_ROUNDS):
        if not pending:
            break
        retry: list[int] = []
        for start in range(0, len(pending), CLAIMS_PER_TRANSACTION):
            part = pending[start:start + CLAIMS_PER_TRANSACTION]
            try:
                with transaction() as tx:
                    for i in part:
                        add_claim(tx, wanted[i])
            except TransactWriteError as exc:
                reasons = list(exc.cancellation_reasons or []) if exc.cause_response_code == \
                    "TransactionCanceledException" else []
                if len(reasons) != len(part):
                    raise
                for i, reason in zip(part, reasons):
                    if reason is not None and reason.code == "ConditionalCheckFailed":
                        result[i] = not held_by_other(wanted[i])
                    else:
                        retry.append(i)
                continue
            result.update((i, True) for i in part)
        pending = retry
    for i in pending:
        result[i] = claim_alone(wanted[i])
    return [result[i] for i in range(len(wanted))]
