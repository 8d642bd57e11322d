"""The site's security headers, built in one place for the local static server and the cloud.

The local server (`python -m devstack`) sends them on every page; the CloudFront response
headers policies in infra/resources.yaml and infra/china.yaml carry the same policy with the
stack's origins as `!Sub` placeholders, and tests/deploy checks that those strings are what
`content_security_policy` builds, so the policy cannot differ between a laptop and production.

The site loads only its own scripts and styles (no inline code, no `style=` attributes), talks
to the API origin and to the photo bucket (presigned POST by XHR, hence connect-src), shows
photos as blob: URLs, and may not be framed.
"""

from __future__ import annotations

from collections.abc import Sequence

REFERRER_POLICY = "strict-origin-when-cross-origin"


def content_security_policy(*, api: Sequence[str] = (), photos: Sequence[str] = ()) -> str:
    """The Content-Security-Policy value for the given API and photo-bucket origins."""

    def sources(*extra: str) -> str:
        return " ".join(dict.fromkeys(("'self'", *extra)))

    directives = [
        ("default-src", "'self'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
        ("img-src", sources("data:", "blob:", *photos)),
        ("font-src", "'self'"),
        ("connect-src", sources(*api, *photos)),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
        ("base-uri", "'none'"),
        ("object-src", "'none'"),
    ]
    return "; ".join(f"{name} {value}" for name, value in directives)


def security_headers(*, api: Sequence[str] = (), photos: Sequence[str] = ()) -> dict[str, str]:
    """Every header the site's pages carry (CloudFront adds the same through its policy)."""
    return {
        "Content-Security-Policy": content_security_policy(api=api, photos=photos),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
        "X-Frame-Options": "DENY",
    }
