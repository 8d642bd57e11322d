"""moto's server finds the service of each request once per host, not on every request, and the
action methods of each handler class once.

Why this exists: the local stack's moto server is one process, so its CPU bounds how fast the
job workers beside it can go. For every request, moto's dispatcher lists its own package folder
on disk (`list_of_moto_modules`) and then matches the request's inferred host against ~140 URL
patterns until one fits: in a 60,000-member export that was a large share of the server's CPU,
more than the DynamoDB work itself. Which backend serves a host depends only on the host and on
moto's installed code, so the answer is kept per host (per dispatcher). Nothing else changes:
the host is still inferred from each request's signature, target and path exactly as before
(tests/integration/core/test_moto_dispatch.py compares the answers with moto's own).
Likewise, before calling an action moto lists every function of the handler class with
`inspect.getmembers` (hundreds of names, on every request); the list depends only on the class,
so it is kept per class while the class and its bases hold the same number of names.
"""

from __future__ import annotations

from typing import Any


def fit_dispatch() -> None:
    """Idempotent: keep each host's backend after moto's dispatcher has found it once."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _keep_method_names()

    stock = DomainDispatcherApplication.get_backend_for_host
    if getattr(stock, "fitted", False):
        return

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host is None:
            return None
        known: dict[str, Any] = self.__dict__.setdefault("_fit_backends", {})
        if host not in known:
            known[host] = stock(self, host)
        return known[host]

    get_backend_for_host.fitted = True  # type: ignore[attr-defined]
    get_backend_for_host.stock = stock  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def _keep_method_names() -> None:
    from moto.core import responses

    stock = responses.method_names_from_class
    if getattr(stock, "fitted", False):
        return
    kept: dict[Any, tuple[tuple[int, ...], list[str]]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        shape = tuple(len(c.__dict__) for c in clazz.__mro__)
        hit = kept.get(clazz)
        if hit is None or hit[0] != shape:
            hit = kept[clazz] = (shape, stock(clazz))
        return list(hit[1])

    method_names_from_class.fitted = True  # type: ignore[attr-defined]
    method_names_from_class.stock = stock  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class
