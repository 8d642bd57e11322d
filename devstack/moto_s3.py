"""Give moto's request dispatch and S3 the cost model of S3, for the local stack, the tests and the benchmarks.

A bulk certificate job makes three storage calls per certificate (the photo read, the PDF
written, the issue recorded), so whatever moto does per request beyond what the service would
do is paid once per certificate, on the same cores as the application. Two such costs:

- **The S3 URL table, rebuilt per request.** To find the handler of a request, moto asks the S3
  backend for its URL patterns, and the S3 backend *reloads its `urls` module* (re-executes
  it) on every request, because the patterns may include custom endpoints named in an
  environment variable; then it formats every pattern again. S3 routes a request without
  rebuilding anything. Here the table is built once per value of the variables it reads
  (`MOTO_S3_CUSTOM_ENDPOINTS`, `MOTO_ENABLE_ISO_REGIONS`) and reused while they are unchanged:
  the same patterns, the same handlers, in the same order.
- **Every backend's URL table.** The other services (DynamoDB, SQS, ...) rebuild theirs from
  their (static) `urls` module on each request too; the same cache serves them, keyed the same
  way. Backends that compute their URL table themselves are left alone.

- **Path or virtual-host style, decided five times per request.** moto's S3 asks up to five
  times per request whether the bucket is named in the host, each time running a dozen regular
  expressions over the host name. The answer depends only on the host and two settings; here it
  is kept per (host, settings).

Nothing here changes what a request returns (tests/integration/core/test_moto_s3.py compares
bodies, ETags, metadata, versions, ranges, presigned GET and POST and listings with and without
the fit); it only removes work S3 does not do. The local stack, the test suite and the benchmarks
all apply it through `devstack.fits.fit_moto()`.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterator

_FITTED: list[bool] = []
_STOCK: dict[str, Any] = {}  # moto's own `BaseBackend.urls`, for `unfitted`
# The environment variables moto's URL tables depend on (moto.settings reads them per call).
_URL_SETTINGS = ("MOTO_S3_CUSTOM_ENDPOINTS", "MOTO_ENABLE_ISO_REGIONS")
_URL_TABLES: dict[tuple[Any, ...], dict[str, Callable[..., Any]]] = {}


def fit_s3() -> None:
    """Idempotent: serve moto's URL tables from a cache (see the module docstring)."""
    if _FITTED:
        return
    _install_url_cache()
    _install_addressing_cache()
    _FITTED.append(True)


def _install_url_cache() -> None:
    from moto.core.base_backend import BaseBackend

    stock = BaseBackend.urls  # the property of moto's BaseBackend
    _STOCK["urls"] = stock

    def urls(self: BaseBackend) -> dict[str, Callable[..., Any]]:
        key = (type(self), *(os.environ.get(name) for name in _URL_SETTINGS))
        table = _URL_TABLES.get(key)
        if table is None:
            table = stock.fget(self)  # type: ignore[attr-defined]
            _URL_TABLES[key] = table
        return dict(table)  # a copy: a caller that edits it cannot change the next request's

    urls.__doc__ = stock.__doc__
    # Only the classes that inherit moto's own property: a backend with its own `urls` keeps it.
    BaseBackend.urls = property(urls)  # type: ignore[assignment,method-assign]


_ADDRESSING: dict[tuple[Any, ...], bool] = {}


def _host(request: Any) -> str:
    """The host moto's S3 reads a request's addressing style from (the same derivation)."""
    from urllib.parse import urlparse

    return request.headers.get("host", request.headers.get("Host")) or urlparse(request.url).netloc


def _install_addressing_cache() -> None:
    from moto import settings
    from moto.s3.responses import S3Response

    stock = S3Response.__dict__["subdomain_based_buckets"].__func__
    _STOCK["subdomain_based_buckets"] = S3Response.__dict__["subdomain_based_buckets"]

    def subdomain_based_buckets(request: Any) -> bool:
        key = (settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME, _host(request), os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS"))
        answer = _ADDRESSING.get(key)
        if answer is None:
            answer = _ADDRESSING[key] = bool(stock(request))
        return answer

    S3Response.subdomain_based_buckets = staticmethod(subdomain_based_buckets)  # type: ignore[method-assign]


def stock_subdomain_based_buckets(request: Any) -> bool:
    """moto's own answer (for tests)."""
    from moto.s3.responses import S3Response

    found = _STOCK.get("subdomain_based_buckets") or S3Response.__dict__["subdomain_based_buckets"]
    return bool(found.__func__(request))


def stock_urls(backend: Any) -> dict[str, Callable[..., Any]]:
    """`backend`'s URL table as moto itself computes it (for tests)."""
    if not _STOCK:
        return dict(backend.urls)
    return dict(_STOCK["urls"].fget(backend))


@contextlib.contextmanager
def unfitted() -> Iterator[None]:
    """moto's own URL tables while the block runs (tests compare answers with and without)."""
    from moto.core.base_backend import BaseBackend

    if not _STOCK:
        yield
        return
    from moto.s3.responses import S3Response

    fitted = BaseBackend.urls, S3Response.__dict__["subdomain_based_buckets"]
    BaseBackend.urls = _STOCK["urls"]  # type: ignore[method-assign]
    S3Response.subdomain_based_buckets = _STOCK["subdomain_based_buckets"]  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseBackend.urls, S3Response.subdomain_based_buckets = fitted  # type: ignore[method-assign]


def url_table_cached(backend: Any) -> bool:
    """True if `backend`'s URL table is served from the cache (for tests)."""
    return any(key[0] is type(backend) for key in _URL_TABLES)
