"""A member with an accepted certificate photo on file (the shared start of certificate tests)."""

import pytest

from tests.conftest import FACES


@pytest.fixture()
def with_photo(aws, make_member):
    def _make(association="110000", photo="obama_01", **kw):
        m = make_member(association, **kw)
        key = f"photos/{m.member_no}.jpg"
        version = aws.photos.put(key, (FACES / "spec_white" / f"{photo}.jpg").read_bytes())
        m.refresh()
        m.photo_key, m.photo_version_id, m.photo_status = key, version, "accepted"
        m.save()
        return m

    return _make
