"""In-memory fakes of the rooms' repositories, for unit tests that need no moto.

Each fake keeps the same contract as the DynamoDB implementation; tests/integration/
test_repository_contract.py runs one suite against both, so a rule tested on the fake holds on
the real table too.
"""

from __future__ import annotations

from chalicelib.members.models import MemberModel
from chalicelib.members.store import StaleWrite


class FakeMemberRepository:
    """Members in a dict, saved under their version like PynamoDB's VersionAttribute."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}
        self.saves = 0

    def _copy(self, data: dict) -> MemberModel:
        return MemberModel.from_raw_data(data)

    def get(self, member_no: str, *, consistent: bool = False) -> MemberModel | None:
        data = self._items.get(member_no)
        return self._copy(data) if data is not None else None

    def save(self, member: MemberModel) -> None:
        stored = self._items.get(member.member_no)
        stored_version = int(stored["version"]["N"]) if stored is not None else None
        if stored_version != (int(member.version) if member.version is not None else None):
            raise StaleWrite(member.member_no)
        member.version = (stored_version or 0) + 1
        self._items[member.member_no] = member.serialize()
        self.saves += 1


class RacingMemberRepository(FakeMemberRepository):
    """A fake where another writer saves first, `races` times, between a read and a save."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def save(self, member: MemberModel) -> None:
        other = self.get(member.member_no)
        if self.races > 0 and other is not None:
            self.races -= 1
            other.name = (other.name or "") + "·"
            super().save(other)
        super().save(member)
