"""The auth room's storage behind one interface: accounts and the short-lived items.

The services (sign-in, password change and recovery, captchas, throttling, token revocation)
speak to an `AuthRepository` instead of the PynamoDB models, so their rules can be tested on the
in-memory fake in `tests/fakes.py`; one contract suite runs against the fake and DynamoDB
(see docs/architecture.md, "Repositories and their fakes").

Short-lived items are keyed "<kind>#<id>" and carry a `data` map and an expiry. DynamoDB deletes
expired items lazily, so `get_item` may return an expired one: callers check `item.expired()`.
Conditional writes answer with a value (None / False) when they lose, as the services treat a
lost race exactly like an absent item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Protocol

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.auth.models import AccountModel, EphemeralModel
from chalicelib.db import condition_failed


class AccountExists(Exception):
    """An account with this id is already stored."""


class AuthRepository(Protocol):
    # -- accounts --------------------------------------------------------------------------------

    def get_account(self, account_id: str, *, consistent: bool = True) -> AccountModel | None: ...

    def add_account(self, account: AccountModel) -> None:
        """Store a new account; `AccountExists` if the id is taken (the stored one is kept)."""
        ...

    def put_account(self, account: AccountModel) -> None:
        """Store the account, replacing any with the same id."""
        ...

    def update_account(self, account: AccountModel, **changes: Any) -> None:
        """Set these attributes on the stored account; `account` then holds the new values."""
        ...

    # -- short-lived items -----------------------------------------------------------------------

    def get_item(self, key: str, *, consistent: bool = True) -> EphemeralModel | None:
        """The item, possibly already expired, or None."""
        ...

    def put_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None: ...

    def take_item(self, key: str) -> bool:
        """Delete the item if it is there; True only for the one caller that deleted it."""
        ...

    def delete_item(self, key: str) -> None:
        """Delete the item if it is there (no error if not)."""
        ...

    def add_to_item(self, key: str, field: str, amount: int = 1, *,
                    alive_at: datetime | None = None) -> int | None:
        """Atomically add `amount` to `data[field]` of an existing item (one that has not expired
        by `alive_at`, if given); the new value, or None if there was no such item."""
        ...

    def create_item(self, key: str, data: Mapping[str, Any], expires_at: datetime, *,
                    replacing_expired_at: datetime) -> bool:
        """Store a new item unless one that is still alive at `replacing_expired_at` is there;
        False if it is (someone else created it first)."""
        ...

    def update_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None:
        """Set these `data` fields and the expiry (creating the item if it is missing)."""
        ...


class DynamoAuthRepository:
    """Accounts and short-lived items in their DynamoDB tables, through PynamoDB."""

    def get_account(self, account_id: str, *, consistent: bool = True) -> AccountModel | None:
        try:
            return AccountModel.get(account_id, consistent_read=consistent)
        except DoesNotExist:
            return None

    def add_account(self, account: AccountModel) -> None:
        try:
            account.save(condition=AccountModel.account_id.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise AccountExists(account.account_id) from exc
            raise

    def put_account(self, account: AccountModel) -> None:
        account.save()

    def update_account(self, account: AccountModel, **changes: Any) -> None:
        account.update(actions=[getattr(AccountModel, name).set(value) for name, value in changes.items()])

    def get_item(self, key: str, *, consistent: bool = True) -> EphemeralModel | None:
        try:
            return EphemeralModel.get(key, consistent_read=consistent)
        except DoesNotExist:
            return None

    def put_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None:
        EphemeralModel(key, data=dict(data), expires_at=expires_at).save()

    def take_item(self, key: str) -> bool:
        try:
            EphemeralModel(key).delete(condition=EphemeralModel.key.exists())
        except DeleteError:
            return False
        return True

    def delete_item(self, key: str) -> None:
        try:
            EphemeralModel(key).delete()
        except DeleteError:
            pass

    def add_to_item(self, key: str, field: str, amount: int = 1, *,
                    alive_at: datetime | None = None) -> int | None:
        condition = EphemeralModel.key.exists()
        if alive_at is not None:
            condition = condition & (EphemeralModel.expires_at > alive_at)
        item = EphemeralModel(key)
        try:
            item.update(actions=[EphemeralModel.data[field].add(amount)], condition=condition)
        except UpdateError:
            return None
        return int(item.data[field])

    def create_item(self, key: str, data: Mapping[str, Any], expires_at: datetime, *,
                    replacing_expired_at: datetime) -> bool:
        try:
            EphemeralModel(key, data=dict(data), expires_at=expires_at).save(
                condition=EphemeralModel.key.does_not_exist() | (EphemeralModel.expires_at <= replacing_expired_at))
        except PutError:
            return False
        return True

    def update_item(self, key: str, data: Mapping[str, Any], expires_at: datetime) -> None:
        EphemeralModel(key).update(actions=[
            *[EphemeralModel.data[name].set(value) for name, value in data.items()],
            EphemeralModel.expires_at.set(expires_at),
        ])


DYNAMO = DynamoAuthRepository()
