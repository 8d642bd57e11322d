"""moto's server finds the service of each request once per host, not on every request.

Why this exists: the local stack's moto server is one process, so its CPU bounds how fast the
job workers beside it can go. For every request, moto's dispatcher lists its own package folder
on disk (`list_of_moto_modules`) and then matches the request's inferred host against ~140 URL
patterns until one fits: in a 60,000-member export that was a large share of the server's CPU,
more than the DynamoDB work itself. Which backend serves a host depends only on the host and on
moto's installed code, so the answer is kept per host (per dispatcher). Nothing else changes:
the host is still inferred from each request's signature, target and path exactly as before
(tests/integration/core/test_moto_dispatch.py compares the answers with moto's own).

The same holds one step later, in every service whose handler runs an action by name (DynamoDB,
SQS, ...): `BaseResponse.call_action` asks `method_names_from_class` for the handler class's
method names, which lists and sorts every member of the class through `inspect.getmembers` on
every request (about a fifth of a millisecond, as much as some of the DynamoDB work). The names
depend only on the class's attributes: they are kept per class and found again when any class
of its method resolution order gains or loses an attribute (a fit replacing a method keeps the
names).
"""

from __future__ import annotations

from typing import Any


def fit_dispatch() -> None:
    """Idempotent: keep each host's backend after moto's dispatcher has found it once, and each
    handler class's method names."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _fit_method_names()
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


def _fit_method_names() -> None:
    import moto.core.responses as responses

    stock = responses.method_names_from_class
    if getattr(stock, "fitted", False):
        return
    kept: dict[Any, tuple[tuple[int, ...], list[str]]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        shape = tuple(len(vars(c)) for c in clazz.__mro__)
        seen = kept.get(clazz)
        if seen is None or seen[0] != shape:
            seen = kept[clazz] = (shape, stock(clazz))
        return list(seen[1])

    method_names_from_class.fitted = True  # type: ignore[attr-defined]
    method_names_from_class.stock = stock  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class
