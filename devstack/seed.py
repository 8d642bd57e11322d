"""`python -m devstack --members N` (`make run MEMBERS=N`): N generated members in one association.

Why this exists: association-scale work (an export, bulk certificates or an import of 60,000
rows as jobs, with their progress) can only be tried by hand on an association that large; the
demo data has a dozen members. The extra members go into Beijing (110000), after the demo ones:

- fake people from `devstack.fake.person` (valid GB 11643 check digits, birth date and gender
  consistent), complete records, active, each ID number used once;
- numbers from the association's counter (one reservation for all of them), and an ID-number
  claim each, as every writer of members makes;
- one accepted sample portrait shared by all of them (a single S3 object), so bulk certificates
  render for every member;
- no login accounts: log in as the demo members or staff (bj_staff sees all of them).

Items go out with BatchWriteItem (`chalicelib.batch`), progress printed every `BLOCK` members.
"""

from __future__ import annotations

import random
import time
from typing import Callable

from chalicelib import batch
from chalicelib.db import utcnow_iso
from chalicelib.members import numbers
from chalicelib.members.models import IdClaimModel, MemberModel
from chalicelib.members.validation import is_complete
from chalicelib.storage import PhotoStore
from devstack.demo import FACES
from devstack.fake import person

ASSOCIATION = "110000"
BLOCK = 5_000
SAMPLE_PHOTO = "obama_01"


def seed_members(photos: PhotoStore, count: int, *, association: str = ASSOCIATION,
                 progress: Callable[[str], None] = print, seed: int = 60_000) -> float:
    """Write `count` members; returns the seconds it took."""
    started = time.monotonic()
    key = f"{PhotoStore.PHOTO_PREFIX}seed-sample.jpg"
    version = photos.put(key, (FACES / f"{SAMPLE_PHOTO}.jpg").read_bytes())
    member_nos = numbers.allocate(association, count)
    rng = random.Random(seed)
    seen: set[str] = set()
    now = utcnow_iso()
    for start in range(0, count, BLOCK):
        items: list[MemberModel | IdClaimModel] = []
        for member_no in member_nos[start:start + BLOCK]:
            profile = person(rng, association, complete=True)
            while profile["id_number"] in seen:  # random ID numbers can repeat; members may not
                profile = person(rng, association, complete=True)
            seen.add(profile["id_number"])
            id_key = MemberModel.make_id_key(profile["id_type"], profile["id_number"])
            items.append(MemberModel(member_no, association=association, name=profile["name"], profile=profile,
                                     id_key=id_key, complete=is_complete(profile), status="active",
                                     photo_status="accepted", photo_key=key, photo_version_id=version,
                                     photo_accepted_at=now, failed_attempts=0, created_at=now, updated_at=now,
                                     version=1))
            if id_key:
                items.append(IdClaimModel(IdClaimModel.key_for(id_key), owner=member_no, claimed_at=now))
        batch.batch_put(items)
        done = min(start + BLOCK, count)
        progress(f"  seeded {done:,}/{count:,} members in {association} ({time.monotonic() - started:.0f} s)")
    return time.monotonic() - started
