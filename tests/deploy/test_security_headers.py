"""The CloudFront response-headers policies carry the site's CSP, as `devstack.csp` builds it.

The local server sends the same builder's output (tests/e2e/test_csp.py), so the policy the
browser tests pass under is the one deployed, in the standard and in the China template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.csp import REFERRER_POLICY, content_security_policy
from tests.deploy.conftest import ROOT

BUCKET = "cpa-ecert-${Stage}-photos-${AWS::AccountId}"
PHOTOS = [f"https://{BUCKET}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}", f"https://{BUCKET}.s3.${{AWS::URLSuffix}}"]
API = "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}"
EXPECTED = {
    # standard regions: the API is the regional execute-api host, another origin
    "stack.json": content_security_policy(api=[API], photos=PHOTOS),
    # China: the API is /api/* of the site's own distribution
    "stack-cn.json": content_security_policy(photos=PHOTOS),
}


def _stack(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "infra" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_site_headers_policy_carries_the_csp(name: str) -> None:
    resources = _stack(name)["Resources"]
    config = resources["SiteSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert config["ContentSecurityPolicy"] == {"ContentSecurityPolicy": {"Fn::Sub": EXPECTED[name]},
                                               "Override": True}
    assert config["ContentTypeOptions"] == {"Override": True}
    assert config["ReferrerPolicy"]["ReferrerPolicy"] == REFERRER_POLICY
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert len(EXPECTED[name]) < 1783  # CloudFront's limit on the header value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_site_behaviour_uses_the_policy(name: str) -> None:
    dist = _stack(name)["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    behaviours = [dist["DefaultCacheBehavior"], *dist.get("CacheBehaviors", [])]
    for b in behaviours:
        assert b["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeaders"}, b.get("PathPattern", "default")


def test_policy_names_the_photo_bucket_as_the_template_does() -> None:
    bucket = _stack("stack.json")["Resources"]["PhotoBucket"]["Properties"]["BucketName"]
    assert bucket == {"Fn::Sub": BUCKET}
